"""One incident: hypotheses and runbook steps with their actions, the timeline, the signals,
pods and rollouts; acknowledge, resolve, notes and approvals (see :mod:`tui.screens.approvals`)."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import (
    DataTable,
    Header,
    Input,
    Label,
    ListView,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)

from incident.app import commands, queries
from incident.app.queries import ActionRow
from incident.explain import Explanation
from incident.feedback import VERDICT_WORDS
from tui import data
from tui.messages import AgentProgress, DetailLoaded, StoreChanged
from tui.screens.approvals import ApprovalFlows
from tui.screens.chart import ChartScreen
from tui.screens.event_detail import EventDetailScreen, ToolResultScreen
from tui.screens.explain import ExplainScreen
from tui.screens.kind_filter import KindFilterScreen
from tui.screens.verdict import CHOICES as VERDICT_CHOICES
from tui.screens.verdict import VerdictScreen
from tui.widgets.actions import ActionsTable
from tui.widgets.agent_meter import AgentMeter
from tui.widgets.hypotheses import HypothesisList
from tui.widgets.hypothesis_detail import HypothesisDetail
from tui.widgets.incident_header import IncidentHeader
from tui.widgets.key_footer import KeyFooter
from tui.widgets.memory import MemoryPanel
from tui.widgets.note_input import NoteInput
from tui.widgets.pods import PodsPanel
from tui.widgets.signals import SignalList
from tui.widgets.steps import STEP_MARKERS, RunbookSteps
from tui.widgets.timeline import TimelineTable


class IncidentViewScreen(ApprovalFlows):
    CSS_PATH = "incident_view.tcss"
    HELP_NAME = "Incident"
    HELP_NOTES: ClassVar[list[tuple[str, str]]] = [
        *[(mark, f"runbook step: {what}") for mark, what in STEP_MARKERS],
        *[(f"v then {key}", what) for _verdict, key, what in VERDICT_CHOICES],
    ]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("A", "acknowledge", "Ack"),
        Binding("R", "resolve", "Resolve"),
        Binding("e", "evidence", "Evidence"),
        Binding("v", "verdict", "Verdict"),
        Binding("x", "explain", "Explain"),
        Binding("f", "kinds", "Kinds"),
        Binding("p", "pin", "Pin"),
        Binding("c", "chart", "Chart"),
        Binding("n", "note", "Note"),
        Binding("P", "postmortem", "Postmortem"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("1", "tab('diagnosis')", "Tabs", key_display="1-5"),
        Binding("2", "tab('timeline')", show=False),
        Binding("3", "tab('signals')", show=False),
        Binding("4", "tab('pods')", show=False),
        Binding("5", "tab('memory')", show=False),
    ]

    TAB_ACTIONS = {
        "approve": "diagnosis",
        "reject": "diagnosis",
        "evidence": "diagnosis",
        "verdict": "diagnosis",
        "explain": "diagnosis",
        "kinds": "timeline",
        "pin": "timeline",
        "chart": "signals",
    }
    """Keys that act on one tab's content: shown in the footer (and live) on that tab only."""

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.detail: queries.Detail | None = None
        self._synced: object = None
        self._evidence_index: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield IncidentHeader(id="incident-header")
        with TabbedContent(id="tabs", initial="diagnosis"):
            with TabPane("Diagnosis", id="diagnosis"):
                yield HypothesisList(id="hypotheses")
                with VerticalScroll(id="steps-pane"):
                    yield HypothesisDetail(id="hypothesis-detail")
                    yield RunbookSteps(id="steps")
                yield Label("Actions (a approve · r reject)", classes="section", id="actions-label")
                yield ActionsTable(id="actions")
                yield Static(id="actions-note")
            with TabPane("Timeline", id="timeline"):
                yield Input(placeholder="search the timeline", id="search")
                yield Static(id="timeline-filter")
                yield TimelineTable(id="events")
            with TabPane("Signals", id="signals"):
                yield SignalList(id="signal-list")
                yield Static("enter or c: full-size chart", id="signals-hint")
            with TabPane("Pods", id="pods"):
                yield PodsPanel()
            with TabPane("Memory", id="memory"):
                yield MemoryPanel(id="memory-panel")
        yield NoteInput(id="note")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"incident {self.incident_id}"
        for box in (self.query_one("#search", Input), self.query_one(NoteInput)):
            box.display = False
            box.cursor_blink = self.copilot.cursor_blink
        self.query_one("#timeline-filter", Static).display = False
        self.query_one(AgentMeter).show(self.copilot.agent_states.get(self.incident_id))
        self.query_one(HypothesisList).focus()
        self.reload()

    # ------------------------------------------------------------------ loading
    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def reload(self) -> None:
        app = self.copilot
        detail = queries.load_detail(app.store, self.incident_id, settings=app.settings, synced=self._synced)
        if detail is not None:
            self._synced = detail.actions_synced
            self.post_message(DetailLoaded(detail))

    def on_store_changed(self, _: StoreChanged) -> None:
        self.reload()

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        d = self.detail = message.detail
        self.query_one(IncidentHeader).show(d.incident, d.similar)
        self.query_one(MemoryPanel).show(d.similar)
        self.query_one(HypothesisList).show(list(d.hypotheses))
        self._show_steps()
        table = self.query_one(ActionsTable)
        table.show(list(d.actions))
        note = self.query_one("#actions-note", Static)
        has_steps = any(s.type == "action" for h in d.hypotheses for s in h.steps)
        table.display = bool(d.actions)
        self.query_one("#actions-label").display = bool(d.actions) or has_steps
        note.display = not d.actions and has_steps
        note.update(d.actions_note or "No action proposed yet.")
        timeline = self.query_one(TimelineTable)
        timeline.show(list(d.events), pins=set(d.pins))
        self.query_one(SignalList).show(list(d.windows), d.incident.component)
        self.query_one(PodsPanel).show(list(d.events), d.incident.component)

    def on_agent_progress(self, _: AgentProgress) -> None:
        self.query_one(AgentMeter).show(self.copilot.agent_states.get(self.incident_id))

    def _show_steps(self) -> None:
        d = self.detail
        current = self.query_one(HypothesisList).current
        self.query_one(HypothesisDetail).show(current, d.events if d else (), d.windows if d else ())
        self.query_one(RunbookSteps).show(current, list(d.actions) if d else [])

    @on(OptionList.OptionHighlighted, "#hypotheses")
    def _hypothesis_moved(self) -> None:
        self._show_steps()

    @on(OptionList.OptionSelected, "#hypotheses")
    def _hypothesis_chosen(self) -> None:
        self.action_evidence()

    # ------------------------------------------------------------------ navigation
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.TAB_ACTIONS.get(action)
        return tab is None or not self.is_mounted or self.query_one(TabbedContent).active == tab

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.display:
            search.value, search.display = "", False
            self.query_one(TimelineTable).focus()
        else:
            self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        target = {
            "diagnosis": "#hypotheses",
            "timeline": "#events",
            "signals": "#signal-list",
            "pods": "#rollouts",
            "memory": "#memory-panel",
        }
        self.query_one(target[tab]).focus()

    def action_search(self) -> None:
        self.action_tab("timeline")
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self.query_one(TimelineTable).set_filter(search=event.value)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(TimelineTable).focus()

    def action_kinds(self) -> None:
        table = self.query_one(TimelineTable)
        counts = Counter(e.kind for e in table.events)

        def chosen(kinds: set[str] | None) -> None:
            if kinds is None:
                return
            table.set_filter(kinds=kinds)
            label = self.query_one("#timeline-filter", Static)
            label.display = bool(kinds)
            label.update(f"showing: {', '.join(sorted(kinds))} (f changes, x in it shows all)")
            self.action_tab("timeline")

        self.app.push_screen(KindFilterScreen(sorted(counts.items()), table.kinds), chosen)

    def action_pin(self) -> None:
        table = self.query_one(TimelineTable)
        if self.query_one(TabbedContent).active != "timeline" or table.current_id is None:
            self.notify("Pin works on the timeline: 2, pick an event, p.", severity="warning")
            return
        self._toggle_pin(table.current_id)

    @work(thread=True, exit_on_error=False, group="pin")
    def _toggle_pin(self, event_id: str) -> None:
        app = self.copilot
        pinned = commands.toggle_pin(app.store, self.incident_id, event_id, settings=app.settings)
        app.call_from_thread(self.query_one(TimelineTable).toggle_pin, event_id, pinned)

    def action_verdict(self) -> None:
        h = self.query_one(HypothesisList).current
        if h is None:
            self.notify("No hypothesis to judge yet.", severity="warning")
            return

        def chosen(verdict: str | None) -> None:
            if verdict is not None and verdict != h.status:
                self._set_verdict(h.id, verdict)

        what = f"#{h.rank} {h.kind} on {h.component} ({h.confidence:.0%}): {h.summary}"
        self.app.push_screen(VerdictScreen(what, h.status), chosen)

    @work(thread=True, exit_on_error=False, group="verdict")
    def _set_verdict(self, hypothesis_id: str, verdict: str) -> None:
        app = self.copilot
        commands.set_verdict(app.store, hypothesis_id, verdict, settings=app.settings)
        word = VERDICT_WORDS[verdict].capitalize()
        app.call_from_thread(self.notify, f"{word}: team memory will use it for similar incidents.", timeout=4)
        self.reload()

    def action_explain(self) -> None:
        """Why the highlighted hypothesis ranks where it does (read from the store in a worker)."""
        h = self.query_one(HypothesisList).current
        if h is None:
            self.notify("No hypothesis to explain yet.", severity="warning")
            return
        self._load_explanation(h.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain")
    def _load_explanation(self, hypothesis_id: str) -> None:
        app = self.copilot
        explanation = queries.load_explanation(app.store, self.incident_id, hypothesis_id)
        app.call_from_thread(self._show_explanation, explanation)

    def _show_explanation(self, explanation: Explanation) -> None:
        self.app.push_screen(ExplainScreen(explanation))

    def action_postmortem(self) -> None:
        self.notify("Writing the postmortem draft…", timeout=2)
        self._export_postmortem()

    @work(thread=True, exclusive=True, exit_on_error=False, group="postmortem")
    def _export_postmortem(self) -> None:
        app = self.copilot
        path = commands.export_postmortem(app.store, self.incident_id, settings=app.settings, at=data.now())
        said = f"Draft written to {path} (a new file each time: earlier drafts are kept)"
        app.call_from_thread(self.notify, said, title="Postmortem", timeout=10)

    def action_evidence(self) -> None:
        """Jump to the highlighted hypothesis' next piece of evidence."""
        h = self.query_one(HypothesisList).current
        if h is None or not h.evidence:
            self.notify("This hypothesis cites no evidence.", severity="warning")
            return
        i = self._evidence_index.get(h.id, 0) % len(h.evidence)
        self._evidence_index[h.id] = i + 1
        ref = h.evidence[i]
        where = f"evidence {i + 1}/{len(h.evidence)} of #{h.rank}"
        if ref.startswith("ev_") and self.query_one(TimelineTable).go_to(ref):
            self.action_tab("timeline")
            self.query_one("#timeline-filter", Static).display = False
            self.notify(where, timeout=2)
        elif ref.startswith("mw_") and self._window(ref) is not None:
            self.app.push_screen(ChartScreen(self._window(ref)))  # type: ignore[arg-type]
        elif ref in h.tool_results:
            self.app.push_screen(ToolResultScreen(ref, h.tool_results[ref]))
        else:
            self.notify(f"{where}: {ref} is not stored any more.", severity="warning")

    def _window(self, window_id: str) -> queries.WindowRow | None:
        windows = self.detail.windows if self.detail else ()
        return next((w for w in windows if w.id == window_id), None)

    def action_chart(self) -> None:
        current = self.query_one(SignalList).current
        if current is None:
            self.notify("No metric windows for this component.", severity="warning")
            return
        self.app.push_screen(ChartScreen(current))

    @on(ListView.Selected, "#signal-list")
    def _signal_chosen(self) -> None:
        self.action_chart()

    def action_note(self) -> None:
        self.query_one(NoteInput).open()

    @on(NoteInput.Added)
    def _note_added(self, message: NoteInput.Added) -> None:
        self.save_note(message.text)

    @on(IncidentHeader.StatusRequested)
    def _status_button(self, message: IncidentHeader.StatusRequested) -> None:
        self.action_acknowledge() if message.status == "acknowledged" else self.action_resolve()

    @on(DataTable.RowSelected, "#events")
    def _event_chosen(self) -> None:
        table = self.query_one(TimelineTable)
        event = next((e for e in table.shown if e.id == table.current_id), None)
        if event is not None:
            self.app.push_screen(EventDetailScreen(event, pinned=event.id in table.pins))

    @on(DataTable.RowSelected, "#actions")
    def _action_chosen(self) -> None:
        self.action_approve()

    def selected_action(self) -> ActionRow | None:
        table = self.query_one(ActionsTable)
        if table.has_focus or not table.items:
            return table.current
        h = self.query_one(HypothesisList).current
        pending = [a for a in table.items if a.status == "proposed"]
        mine = [a for a in pending if h is not None and a.hypothesis_id == h.id]
        first = mine or pending
        return first[0] if first else table.current
