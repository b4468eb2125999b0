"""The record of the machine and its load (lenet_common.plumbing.machine)."""

from __future__ import annotations

from lenet_common.plumbing import machine


def test_machine_names_its_cpu_and_cores():
    info = machine.machine()
    assert info["cores"] >= 1 and info["cpu"] and info["numpy"]
    slug = machine.machine_slug(info)
    assert (
        slug.startswith(f"{info['cores']}cpu-")
        and slug == slug.lower()
        and " " not in slug
    )
    assert (
        machine.machine_slug(
            {"cpu": "Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz", "cores": 8}
        )
        == "8cpu-intel-core-i7"
    )


def test_load_is_one_record_with_the_same_keys_everywhere():
    record = machine.load()
    assert set(record) == {"load_average", "uptime"}
    around = machine.load_record(record)
    assert around["before"] is record and set(around["after"]) == set(record)


def test_stored_results_spell_the_load_one_way():
    """Every stored result keeps its machine's load as ``load: {before, after}``."""
    import json

    from lenet_common.plumbing import results

    for path in results.RESULTS_DIR.glob("*.json"):
        result = json.loads(path.read_text())
        stray = [k for k in result if k.startswith("load") and k != "load"]
        assert not stray, f"{path.name}: {stray}; use 'load': {{'before', 'after'}}"
        for when in result.get("load", {}).values():
            assert set(when) == {"load_average", "uptime"}, path.name
