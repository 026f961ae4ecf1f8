"""The benchmark suite runs (tiny sizes) and every backend it times agrees with the numpy twin.

No timing assertions: speed lives in the benchmark's output, not in the tests.
"""

import csv
import json
import os
import shutil
import types
from pathlib import Path

import numpy as np
import pytest

from benchmarks import WORKLOADS, peers, timing
from benchmarks import workload as wl
from benchmarks.__main__ import main, run_all


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run of every workload, as ``python -m benchmarks --quick`` would do it."""
    out = tmp_path_factory.mktemp("bench")
    return out, run_all(WORKLOADS, quick=True, out=out, verbose=False)


@pytest.mark.parametrize("name", ["two_layer", "deep"])
def test_every_backend_agrees_with_the_numpy_twin(quick_run, name):
    _, summary = quick_run
    result = summary["results"][name]
    loaded = set(result["peers_loaded"])
    assert loaded | set(result["peers_skipped"]) == set(peers.PEER_NAMES)
    assert not loaded & set(result["peers_skipped"])
    expected = set(wl.MINIGRAD_BACKENDS if name == "two_layer" else ("engine", "numpy")) | loaded
    for m in result["sizes"]["widths"]:
        records = [r for r in result["records"] if r["m"] == m]
        assert {r["backend"] for r in records} == expected
        for r in records:
            assert r["status"] == "ok", r
            for op in wl.OPS:
                assert r[f"err_{op}"] <= wl.TOLERANCE, (r["backend"], op, r[f"err_{op}"])
                assert r[f"{op}_ms"] > 0 and r[f"{op}_repeats"] == 1
    assert wl.failures(result) == []
    assert result["quick"] is True
    for r in result["records"]:  # memory: both methods measured, the named one reported
        assert r["memory_method"] == ("rss" if r["backend"] in ("jax", "torch") else "tracemalloc")
        for op in wl.OPS:
            assert r[f"{op}_tracemalloc_mb"] >= 0 and r[f"{op}_peak_mb"] == r[f"{op}_{r['memory_method']}_mb"]
    slopes = {g["backend"]: g for g in result["growth"]["rows"]}
    assert set(slopes) == expected and result["growth"]["widths"] == list(result["sizes"]["widths"])
    assert [e["m"] for e in result["engine_ratios"]] == list(result["sizes"]["widths"])
    for target in result["targets"]:  # tiny sizes: no verdict on targets about real ones
        assert target["verdict"] == "not measured" and "not measured at this size" in target["measured"]


def test_two_layer_reports_flop_rates_against_a_peak_estimate(quick_run):
    result = quick_run[1]["results"]["two_layer"]
    d = result["sizes"]["d"]
    assert result["flops_per_pair"] == {"loss": 2 * d + 56, "grad": 6 * d + 115, "hvp": 10 * d + 134}
    assert result["reference"] == "minigrad's chunked numpy twin"
    peak = result["peak"]
    if peak["estimate_gflops"] is not None:
        assert peak["estimate_gflops"] == pytest.approx(peak["cores"] * peak["ghz"] * peak["flops_per_cycle"])
    assert peak["measured_gflops"] > 0  # the FMA loop ran
    assert peak["gflops"] == max(g for g in (peak["estimate_gflops"], peak["measured_gflops"]) if g)
    rates = result["flop_rates"]
    assert [r["m"] for r in rates] == list(result["sizes"]["widths"])
    numba = {r["m"]: r for r in result["records"] if r["backend"] == "numba"}
    for rate in rates:
        n, m = result["sizes"]["n"], rate["m"]
        expected = result["flops_per_pair"]["hvp"] * n * m / (numba[m]["hvp_ms"] * 1e-3) / 1e9
        assert rate["hvp_gflops"] == pytest.approx(expected)


def test_peak_memory_sees_numpy_arrays_and_loglog_slopes_are_exact():
    big = timing.peak_memory(lambda: np.ones(2 * 10**6).sum())  # 16 MB, freed at once
    assert 15 < big["tracemalloc_mb"] < 17
    if big["rss_mb"] is not None:
        assert big["rss_mb"] < 17
    assert timing.peak_memory(lambda: None)["tracemalloc_mb"] < 0.01
    assert wl.loglog_slope([10, 100, 1000], [3.0, 30.0, 300.0]) == pytest.approx(1.0)
    assert wl.loglog_slope([10, 100], [5.0, 0.05]) == pytest.approx(-2.0)
    assert wl.loglog_slope([10], [1.0]) is None


@pytest.mark.parametrize("name", ["two_layer", "deep"])
def test_json_csv_and_figure_are_written(quick_run, name):
    out, summary = quick_run
    result = summary["results"][name]
    stored = json.loads((out / f"{name}.json").read_text())
    assert stored["records"] == json.loads(json.dumps(result["records"]))
    assert stored["environment"]["variables"].keys() >= {"OPENBLAS_CORETYPE", "OMP_NUM_THREADS"}
    with (out / f"{name}.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["m"]), r["backend"]) for r in rows] == [(r["m"], r["backend"]) for r in result["records"]]
    for row, record in zip(rows, result["records"]):
        assert float(row["hvp_ms"]) == pytest.approx(record["hvp_ms"], rel=1e-12)
        assert float(row["err_grad"]) == pytest.approx(record["err_grad"], rel=1e-12, abs=1e-300)
    assert (out / f"{name}_hvp.png").stat().st_size > 10_000


def test_cold_start_reports_import_and_cached_first_calls(quick_run):
    out, summary = quick_run
    result = summary["results"]["cold_start"]
    assert result["import_loads_numba"] is False
    ops = [(c["net"], c["op"]) for c in result["first_calls"]]
    two_layer = ["loss", "grad", "hvp", "output", "output_grad", "output_hvp", "jacobian"]
    assert ops == [("two_layer", op) for op in two_layer] + [
        ("sgd", "least_squares"), ("activations", "tanh (tests only)"), ("activations", "act_derivatives (tests only)")]
    compile_target = next(t for t in result["targets"] if "first-ever compile" in t["target"])
    assert compile_target["verdict"] == "not measured" and "at this size" in compile_target["measured"]
    for call in result["first_calls"]:
        assert call["first_ever_s"] is None  # --quick does not compile from an empty cache
        assert min(call["cached_first_s"], call["second_call_s"]) > 0
    assert result["slowest_imports"][0]["module"] == "minigrad"
    stored = json.loads((out / "cold_start.json").read_text())
    assert stored["first_calls"] == json.loads(json.dumps(result["first_calls"]))
    with (out / "cold_start.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == len(result["first_calls"])


def test_summary_lists_every_target_and_no_failure(quick_run):
    out, summary = quick_run
    assert summary["failures"] == []
    stored = json.loads((out / "summary.json").read_text())
    assert stored["targets"] == summary["targets"]
    assert {t["workload"] for t in stored["targets"]} == set(WORKLOADS)
    assert {t["verdict"] for t in stored["targets"]} <= {"met", "missed", "not measured"}


def test_a_backend_that_disagrees_is_flagged_and_not_timed():
    rng = np.random.default_rng(0)
    theta, v = rng.standard_normal(5), rng.standard_normal(5)
    reference = {"loss": 1.0, "grad": np.ones(5), "hvp": np.arange(5.0)}
    slightly_wrong = peers.PeerFunctions(
        loss=lambda th: 1.0, grad=lambda th: np.ones(5),
        hvp=lambda th, w: np.arange(5.0) * (1 + 1e-6),  # off by one part in a million
        to_native=lambda a: a, to_numpy=np.asarray)
    record = wl._check(slightly_wrong, theta, v, reference)
    assert record["status"].startswith("MISMATCH")
    assert record["err_hvp"] == pytest.approx(1e-6, rel=1e-9)
    assert record["err_loss"] == 0.0 and record["err_grad"] == 0.0
    result = {"records": [{"workload": "w", "m": 1, "backend": "b", **record}]}
    assert wl.failures(result) == [f"w m=1 b: {record['status']}"]


def test_peer_formulas_match_a_direct_numpy_evaluation():
    rng = np.random.default_rng(1)
    n, d, m = 5, 3, 4
    X = rng.standard_normal((n, d))
    theta = rng.standard_normal(m * d + m)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    expected = np.array([v @ np.tanh(W @ x) / np.sqrt(m) for x in X])
    np.testing.assert_allclose(peers.two_layer_output(np.tanh, theta, X, m, d), expected, rtol=1e-14)
    widths = (4, 2)
    sizes = [(4, 3), (2, 4)]
    theta = rng.standard_normal(12 + 8 + 2)
    W1, W2, u = theta[:12].reshape(sizes[0]), theta[12:20].reshape(sizes[1]), theta[20:]
    expected = np.array([u @ np.tanh(W2 @ np.tanh(W1 @ x / np.sqrt(3)) / 2.0) / np.sqrt(2) for x in X])
    np.testing.assert_allclose(peers.deep_output(np.tanh, theta, X, d, widths), expected, rtol=1e-14)


def test_measure_times_the_requested_number_of_calls():
    calls = []
    t = timing.measure(lambda: calls.append(1), warmup=2, min_repeats=5, max_repeats=5, min_time=10.0)
    assert len(calls) == 7 and t.repeats == 5
    assert 0 <= t.best <= t.median


def test_measure_takes_enough_calls_for_min_time(monkeypatch):
    clock = types.SimpleNamespace(now=0.0)
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(perf_counter=lambda: clock.now))
    durations = iter([0.1, 0.02, 0.03, 0.02, 0.05])  # the warm-up call, then the timed calls

    def fn():
        clock.now += next(durations)

    t = timing.measure(fn, warmup=1, min_repeats=2, max_repeats=10, min_time=0.07)
    assert t.repeats == 4  # ceil(0.07 s / 0.02 s for the first timed call)
    assert t.median == pytest.approx(0.025) and t.best == pytest.approx(0.02)


def test_relative_error_refuses_mismatched_shapes():
    assert timing.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert timing.relative_error(np.array([3.0, 4.0 + 5e-9]), np.array([3.0, 4.0])) == pytest.approx(1e-9)
    with pytest.raises(ValueError, match=r"shape \(3,\) with the reference's shape \(2,\)"):
        timing.relative_error(np.ones(3), np.ones(2))


def test_bad_arguments_are_refused_with_clear_messages(tmp_path):
    with pytest.raises(ValueError, match="unknown peer"):
        wl.parse_peers("jax,tensorflow")
    assert wl.parse_peers("") == ()
    with pytest.raises(ValueError, match="unknown workload"):
        run_all(("two_layer", "wide"), quick=True, out=tmp_path, verbose=False)
    with pytest.raises(ValueError, match="threads must be a positive int, got 0"):
        timing.set_threads(0)
    with pytest.raises(SystemExit):
        main(["--only", "nonsense"])


def test_command_line_runs_one_workload_without_peers(tmp_path, capsys, monkeypatch):
    # The command line sets the thread variables of every library: put them back afterwards.
    saved = {name: os.environ.get(name) for name in timing.THREAD_VARIABLES + ("NUMBA_NUM_THREADS",)}
    monkeypatch.setattr(timing, "THREADS", None)
    try:
        status = main(["--quick", "--only", "deep", "--peers", "", "--out", str(tmp_path)])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    assert status == 0
    printed = capsys.readouterr().out
    assert "Deep tanh net" in printed and "deep numpy HVP faster than torch" in printed
    result = json.loads((tmp_path / "deep.json").read_text())
    assert {r["backend"] for r in result["records"]} == {"engine", "numpy"}  # DeepNet has no numba
    assert result["peers_loaded"] == {}


def test_quick_runs_go_to_their_own_folder_and_both_are_ignored_by_git():
    assert wl.output_folder(None, quick=True) == wl.QUICK_OUT != wl.output_folder(None, quick=False)
    assert wl.output_folder("elsewhere", quick=True) == Path("elsewhere")
    ignored = (Path(wl.__file__).parent / ".gitignore").read_text().split()
    assert {"/results/", "/results-quick/"} <= set(ignored)


def test_snapshot_keeps_full_runs_only_and_prints_ranges_over_runs(quick_run, tmp_path):
    from benchmarks import snapshot

    out, summary = quick_run
    with pytest.raises(ValueError, match="full runs only"):
        snapshot.save(out, tmp_path / "docs")
    # Two "full" runs made from the quick one (the numbers do not matter here, the plumbing does).
    for i, scale in enumerate((1.0, 2.0)):
        run = tmp_path / f"run{i}"
        shutil.copytree(out, run)
        stored = json.loads((run / "summary.json").read_text())
        stored["quick"] = False
        for t in stored["targets"]:
            t["values"] = {k: v * scale for k, v in t["values"].items()}
        (run / "summary.json").write_text(json.dumps(stored))
        result = json.loads((run / "two_layer.json").read_text())
        result["environment"]["date_utc"] = f"2026-12-0{i + 1}T10:00:00+00:00"
        (run / "two_layer.json").write_text(json.dumps(result))
        folder = snapshot.save(run, tmp_path / "docs")
        assert (folder / "summary.json").exists() and (folder / "two_layer.csv").exists()
    assert (tmp_path / "docs" / "two_layer_hvp.png").exists()
    runs = snapshot.load_runs(tmp_path / "docs")
    assert len(runs) == 2 and runs[0]["name"].startswith("2026-12-01T1000Z")
    text = snapshot.tables(runs, tmp_path / "docs")
    assert text.startswith("![two-layer HVP time") and "two_layer_hvp.png" in text
    assert text.count("| 2026-12-0") == 2 and "(2 runs:" in text
    target = next(t for t in summary["targets"] if t["target"].startswith("engine HVP / engine loss"))
    key, value = next(iter(target["values"].items()))
    assert f"{key}: {value:.2f}-{2 * value:.2f}" in text  # a range over the two runs
    assert snapshot.tables([]).startswith("No kept runs")


def test_snapshot_refuses_a_quick_run_on_the_command_line(capsys):
    with pytest.raises(SystemExit):
        main(["--quick", "--snapshot"])
    assert "--snapshot keeps full runs only" in capsys.readouterr().err
