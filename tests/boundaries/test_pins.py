"""boundaries/pins.tsv: the mirror's CHECKSUMS.tsv, committed, and every registry file pinned."""

from __future__ import annotations

from boundaries.bundle import BUNDLED
from boundaries.pins import PINS_FILE, RAW_BASE, pinned_url, pins, sha256_file
from boundaries.registry import REGISTRY


def test_pins_are_the_mirrors_checksums(data_dir):
    """Same rows as ../shared/data/CHECKSUMS.tsv (fix: copy it over boundaries/pins.tsv)."""
    mirror = (data_dir / "CHECKSUMS.tsv").read_text(encoding="utf-8").splitlines()
    ours = PINS_FILE.read_text(encoding="utf-8").splitlines()
    assert sorted(ours) == sorted(mirror), "boundaries/pins.tsv is out of date: cp ../shared/data/CHECKSUMS.tsv boundaries/pins.tsv"


def test_every_pin_matches_the_mirror_file_and_its_pinned_original(data_dir):
    for path, pin in pins().items():
        assert sha256_file(data_dir / path) == pin.sha256, path
        if pin.url is None:
            continue
        assert pin.url.startswith(RAW_BASE) and len(pin.url[len(RAW_BASE):].split("/")[2]) == 40, pin.url
        if pin.converted:
            assert sha256_file(data_dir / "pinned" / pin.url[len(RAW_BASE):]) == pin.source_sha256, path
        else:
            assert pin.source_sha256 == pin.sha256, path


def test_every_registry_file_has_a_pin_or_is_in_the_bundle():
    for ds in REGISTRY.values():
        assert ds.pin is not None, f"{ds.id}: add the row of {ds.path} from CHECKSUMS.tsv to boundaries/pins.tsv"
        assert ds.download_url or ds.id in BUNDLED, f"{ds.id}: no pinned address and not in the bundle"


def test_pinned_url_under_a_stand_in_base():
    pin = pins()["nhs/lookups/ccg18_stp18_en.csv"]
    assert pinned_url(pin) == pin.url
    assert pinned_url(pin, "http://127.0.0.1:8/x/") == "http://127.0.0.1:8/x/" + pin.url[len(RAW_BASE):]
