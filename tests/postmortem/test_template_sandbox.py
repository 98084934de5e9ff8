"""A team postmortem template renders in Jinja2's sandbox: a hostile one is refused with its file
and line, and what it tried to run never runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident.config import Settings
from incident.errors import ConfigError
from incident.postmortem import write_postmortem
from incident.store import Store


def _hostile(marker: Path) -> list[tuple[str, int]]:
    run = f"touch {marker}"
    return [
        ("# {{ rec.title }}\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n", 3),
        (f"# {{{{ rec.title }}}}\n{{{{ cycler.__init__.__globals__.os.system('{run}') }}}}\n", 2),
        (
            f"# {{{{ rec.title }}}}\n\n\n{{{{ lipsum.__globals__['os'].popen('{run}').read() }}}}\n",
            4,
        ),
        (
            "# {{ rec.title }}\n{% for c in ''.__class__.__mro__[1].__subclasses__() %}"
            f"{{% if c.__name__ == 'Popen' %}}{{{{ c('{run}', shell=True) }}}}{{% endif %}}{{% endfor %}}\n",
            2,
        ),
        (f"# {{{{ rec.title }}}}\n\n{{{{ (rec|attr('__class__')).__init__.__globals__ }}}}{run}\n", 3),
    ]


@pytest.mark.parametrize("case", range(5))
def test_a_hostile_team_template_is_refused_naming_file_and_line(
    store: Store, incident_id: int, tmp_path: Path, case: int
) -> None:
    marker = tmp_path / "executed"
    body, line = _hostile(marker)[case]
    team = tmp_path / "team.md.j2"
    team.write_text(body)
    settings = Settings(postmortem={"template": str(team), "export_dir": str(tmp_path / "pm")})
    with pytest.raises(ConfigError) as err:
        write_postmortem(store, incident_id, settings, who="alice")
    assert f"{team}:{line}:" in err.value.message
    assert "sandbox" in err.value.message and "unsafe" in err.value.message
    assert not marker.exists()
    assert not (tmp_path / "pm").exists() or not any((tmp_path / "pm").iterdir())


def test_a_plain_team_template_still_renders_in_the_sandbox(store: Store, incident_id: int, tmp_path: Path) -> None:
    team = tmp_path / "team.md.j2"
    team.write_text(
        "# {{ rec.title }}\n{% for i in rec.action_items %}* {{ i.item | cell }}\n{% endfor %}"
        "{{ '%s items' % rec.action_items | length }} {{ '{} ok'.format('format') }}\n"
    )
    md = write_postmortem(store, incident_id, Settings(postmortem={"template": str(team)}), who="alice").markdown
    assert md.startswith("# checkout: more than 5% of requests fail\n")
    assert "format ok" in md and " items " in md
