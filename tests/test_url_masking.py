"""Store URLs are masked wherever they are printed or raised: ``incident doctor``, store errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from incident.errors import StoreError
from incident.store import Store, make_engine
from tests.conftest import postgres_url
from tests.test_cli import incident

PASSWORD = "Pg-S3cr3t-Pw"


@pytest.mark.parametrize(
    "url",
    [
        f"nosuchdriver://app:{PASSWORD}@db.internal:5432/shop",  # an unknown dialect
        f"postgresql+nosuchdbapi://app:{PASSWORD}@db.internal/shop",  # a missing driver
        f"postgresql://app:{PASSWORD}@db.internal:port/shop",  # unparseable: sqlalchemy echoes the string
    ],
)
def test_store_errors_never_carry_the_password(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        make_engine(url)
    chain = [caught.value, caught.value.__cause__, caught.value.__context__]
    assert all(PASSWORD not in str(e) for e in chain if e is not None)
    assert "app:***@" in str(caught.value)


def test_mask_url_hides_only_the_password() -> None:
    from incident.redact import mask_url

    assert (
        mask_url(f"postgresql+psycopg2://app:{PASSWORD}@db:5432/shop") == "postgresql+psycopg2://app:***@db:5432/shop"
    )
    assert mask_url("sqlite:////var/lib/incident/store.db") == "sqlite:////var/lib/incident/store.db"
    assert PASSWORD not in mask_url(f"not a url://app:{PASSWORD}@db")


def _doctor(tmp_path: Path, store_url: str) -> str:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[store]\nurl = "{store_url}"\n'
        '[prometheus]\nurl = "http://metrics:Prom-Pw-42@127.0.0.1:9"\n'
        "[kubernetes]\nenabled = false\n"
    )
    out = incident("--config", str(cfg), "doctor", timeout=60)
    return out.stdout + out.stderr


def test_doctor_never_prints_a_store_password(tmp_path: Path) -> None:
    unreachable = _doctor(tmp_path, f"postgresql://app:{PASSWORD}@127.0.0.1:1/shop?connect_timeout=2")
    unknown = _doctor(tmp_path, f"nosuchdriver://app:{PASSWORD}@db.internal/shop")
    for out in (unreachable, unknown):
        assert "FAIL store" in out
        assert PASSWORD not in out and "Prom-Pw-42" not in out


@pytest.mark.postgres
@pytest.mark.skipif(postgres_url() is None, reason="no PostgreSQL server: set INCIDENT_TEST_POSTGRES_URL")
def test_doctor_masks_a_working_postgresql_store(tmp_path: Path) -> None:
    url = postgres_url()
    assert url is not None
    store = Store(url)
    password = store.engine.url.password
    store.close()
    out = _doctor(tmp_path, url)
    assert "ok   store: " + make_url(url).render_as_string(hide_password=True) in out
    # the password may be a common word (CI's is the user name): look for it where a URL would carry it
    assert not password or f":{password}@" not in out
