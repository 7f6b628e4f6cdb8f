"""Fit the engine's fusion weights, confidence calibration and default thresholds (-> answerers/fusion.json).

    .venv/bin/python benchmarks/bench_matching_fit.py [--write] [--cv]
    .venv/bin/python benchmarks/bench_matching_fit.py --holdout-family   # fit on dev, score HECVAT; and back

Few parameters (one weight per answerer, fitted listwise so the right fact ranks first; seven for the
calibration: bias, fused score, margin, coverage, agreement, novelty, sibling), fitted on the development
questionnaires, so they generalise rather than memorise. ``--cv`` reports
leave-one-questionnaire-out figures: fit on two questionnaires, evaluate on the third.
``--holdout-family`` is the stricter estimate of what a new questionnaire style gets: fit on one
family (``dev``: three questionnaires written for the benchmark; ``hecvat``: HECVAT 4.14, real), then
run the whole engine (guards and scope facts included) with those weights, calibration and
thresholds on the other family. Only the fit is held out: the hand rules in answerers/guard.py and
answerers/scope.py were written knowing HECVAT's labelling README and the issue's HECVAT examples.

TRUSTFILL_FIT_PRECISION and TRUSTFILL_FIT_ABSTAIN override the goals the thresholds are chosen
for (the abstention goal of both profiles), to see the trade-off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_matching_data import BENCH, DevQuestion, load_dev, load_library  # noqa: E402

from answerers import MatchingEngine, MatchSettings  # noqa: E402
from answerers.engine import _FUSION, SUGGEST_AGREEMENT, calibration_features, close_rival  # noqa: E402

# The target is 0.97 on questionnaires the fit never saw; on the ones it fits, ask for 0.99: with
# 0.97 here the leave-one-questionnaire-out precision fell to 0.95 (a suggestion is bulk-approved,
# so the threshold errs on the side of "review").
TARGET_PRECISION = float(os.environ.get("TRUSTFILL_FIT_PRECISION", "0.99"))
# A suggestion also needs most ranking signals to put its fact first (engine.SUGGEST_AGREEMENT):
# leave-one-questionnaire-out, the wrong suggestions left were facts only two or three of the five
# signals ranked first (a customer's own pen test taken for ours, "employees" for staff training).
# And the suggest threshold is at least SUGGEST_FLOOR. The dev set has few rows between 60 and 90, so
# "0.99 right" there rests on a handful of questions: on HECVAT 4.14 (a public questionnaire in another
# style) against the sample knowledge base, the semantic profile's threshold of 60 suggested 51 answers,
# about 11 of them wrong ("Solution Provider Name" -> the hosting provider, the institution's own
# vulnerability testing -> our scanning, AI features -> analytics opt-out), 8 of those between 60 and
# 90. On dev, 90 instead of 60 costs 2 points of suggested share and no precision.
SUGGEST_FLOOR = 90.0
# The 0.85 target plus slack, per profile, decided on dev alone: the lowest of 0.87, 0.89, 0.91 keeping
# the whole engine's leave-one-questionnaire-out estimate (--cv) at 0.85 left alone or more. With plain
# words counted as novelty (lexical.PLAIN_NOVELTY 0.5) that was 0.91 (0.89 left 0.844). Without them:
# lexical 0.87 -> 0.930 answered right, 0.857 left alone (0.89: 0.925 / 0.896; 0.91: 0.903 / 0.896);
# semantic 0.87 -> 0.946 / 0.831, 0.89 -> 0.930 / 0.857 (0.91: 0.914 / 0.857).
_GOALS = {"lexical": 0.87, "semantic": 0.89}
_GOAL_OVERRIDE = os.environ.get("TRUSTFILL_FIT_ABSTAIN")


def abstain_goal(profile: str) -> float:
    return float(_GOAL_OVERRIDE) if _GOAL_OVERRIDE else _GOALS[profile]
# How far (confidence points) a new questionnaire's question may land from where a dev one did, when
# placing the review threshold. Held out, 1 and 2 give the same figures; 4 let one more unanswerable
# question through in the default install.
REVIEW_BLUR = 2.0


# Signals a profile's fusion leaves out (weight 0), decided leave-one-questionnaire-out. None now.
# The answer-form signal was left out of the semantic profile while it gained nothing there (top-1
# 0.925 -> 0.925, unanswerable left alone 0.909 -> 0.870). Once the customer's name read as
# "customer", it did gain: top-1 0.925 -> 0.941, ranked 0.957 -> 0.962, unanswerable left alone
# 0.896 -> 0.883, precision 0.992 -> 0.991 (on dev itself top-1 fell 0.946 -> 0.941: near the review
# threshold, right facts move with it).
LEFT_OUT: dict[str, frozenset[str]] = {}
FEATURES = ("fused", "margin", "coverage", "agree", "novelty", "sibling")


def collect(engine: MatchingEngine, dev: list[DevQuestion]) -> list[dict]:
    """Per question: shortlist feature rows (one column per answerer) and which rows are right."""
    out = []
    by_product: dict[str, list[DevQuestion]] = {}
    for d in dev:
        by_product.setdefault(d.product, []).append(d)
    for product, items in sorted(by_product.items()):
        texts = engine.prepare([d.question for d in items])
        novelty = engine.novelty(texts)
        for i, (d, (facts, X)) in enumerate(zip(items, engine.features(texts, product), strict=True)):
            right = np.array([engine.facts[f].id in d.expected for f in facts], dtype=bool)
            out.append({"q": d, "X": X, "y": right, "novelty": float(novelty[i]), "groups": engine.groups[facts]})
    return out


def fit_weights(data: list[dict], l2: float = 0.01, left_out: Sequence[bool] = ()) -> np.ndarray:
    """Listwise fit (conditional logit): per answerable question, the softmax over its shortlist of
    the fused scores should put its mass on the right fact(s). This optimises ranking directly, which
    a per-row classifier does not. Weights are non-negative (a signal may be useless, never inverted)
    and rescaled to sum to one; the calibration absorbs the scale. ``left_out``: per column, whether its
    weight is held at 0."""
    from scipy.optimize import minimize

    groups = [(d["X"] / 10.0, d["y"]) for d in data if d["q"].expected and d["y"].any()]
    k = groups[0][0].shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros(k)
        for X, y in groups:
            z = X @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * y
            q /= q.sum()
            total -= np.log(p[y].sum())
            grad += p @ X - q @ X
        n = len(groups)
        return total / n + l2 * float(w @ w), grad / n + 2 * l2 * w

    out = list(left_out) or [False] * k
    start = np.where(out, 0.0, 0.5)
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0.0, 0.0) if o else (0.0, None) for o in out])
    return res.x / max(res.x.sum(), 1e-12)


def top_rows(
    data: list[dict], w: np.ndarray, names: list[str], runner_up: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calibration features of each question's top row (``runner_up``: of its second row, zeros
    where there is none), whether that row is right, whether the question is answerable."""
    feats, right, answerable = [], [], []
    at = 1 if runner_up else 0
    for d in data:
        order, f = calibration_features(d["X"], w, names, novelty=d["novelty"], groups=d["groups"])
        if len(order) > at and f["fused"][order[at]] > 0:
            feats.append([float(f[k][order[at]]) for k in FEATURES])
            right.append(bool(d["y"][order[at]]))
        else:
            feats.append([0.0] * len(FEATURES))
            right.append(False)
        answerable.append(bool(d["q"].expected))
    return np.array(feats), np.array(right), np.array(answerable)


def suggestible(data: list[dict], w: np.ndarray, names: list[str], cal: dict, F: np.ndarray, th: dict) -> np.ndarray:
    """Top rows the engine may suggest at thresholds ``th``: most ranking signals agree, and the
    runner-up (0 where there is none) is no close rival (engine.close_rival). The engine also lets a
    runner-up with the same answer and comment through; no two dev facts say the same, so that
    exemption does not arise here."""
    F2, _, _ = top_rows(data, w, names, runner_up=True)
    rival = np.where(F2.any(axis=1), confidence(cal, F2), 0.0)
    return eligible(F) & ~close_rival(confidence(cal, F), rival, th["suggest"])


def fit_calibration(F: np.ndarray, right: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=5000).fit(F, right)
    return {"bias": float(clf.intercept_[0]), **{k: float(c) for k, c in zip(FEATURES, clf.coef_[0], strict=True)}}


def confidence(cal: dict, F: np.ndarray) -> np.ndarray:
    z = cal["bias"] + F @ np.array([cal.get(k, 0.0) for k in FEATURES])
    return 100.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def eligible(F: np.ndarray) -> np.ndarray:
    """Top rows that may be suggested at all: most ranking signals put that fact first."""
    return F[:, FEATURES.index("agree")] >= SUGGEST_AGREEMENT


def choose_thresholds(
    conf: np.ndarray, right: np.ndarray, answerable: np.ndarray, ok_rows: np.ndarray, goal: float = _GOALS["lexical"]
) -> dict:
    """Suggest: lowest threshold whose suggestions (among ``ok_rows``) are >= TARGET_PRECISION right.
    Not lowered for the suggestions a close runner-up holds back (engine.close_rival): counting them
    (with the rule's first, stricter form) let the folds pick lower thresholds, and held-out
    precision fell from 0.992 to 0.984."""
    suggest = 100.0
    for t in sorted(set(np.round(conf, 1))):
        sel = (conf >= t) & ok_rows
        if sel.sum() >= 5 and right[sel].mean() >= TARGET_PRECISION:
            suggest = float(t)
            break
    # Review: a threshold that still leaves ``goal`` (abstain_goal) of unanswerable questions alone. Abstention
    # only grows with the threshold, so the thresholds leaving the *same* unanswerables alone form one
    # stretch. Within it, take the threshold with the fewest expected errors (right answers held back
    # plus unanswerables let through), each question's confidence blurred by REVIEW_BLUR points:
    # a new questionnaire's questions land a little higher or lower, so the threshold keeps clear of
    # both kinds rather than sitting on the lowest edge (which cost held-out abstention and precision)
    # or in the stretch's middle (which held back right answers for nothing: held out, the two give
    # the same figures; on dev the blurred choice answers two more questions right).
    # Not capped by the suggest threshold: that one only looks at rows most signals agree on, so it
    # can sit lower than what abstention needs; then suggest is raised to review below.
    review = suggest
    grid = np.arange(5.0, 99.51, 0.5)
    abstained = np.array([((~answerable) & (conf < t)).sum() for t in grid]) / max((~answerable).sum(), 1)
    ok = np.flatnonzero(abstained >= goal)
    if len(ok):
        from scipy.stats import norm

        same = grid[abstained == abstained[ok[0]]]
        held_back = norm.cdf((same[:, None] - conf[right & answerable][None, :]) / REVIEW_BLUR).sum(axis=1)
        let_through = norm.sf((same[:, None] - conf[~answerable][None, :]) / REVIEW_BLUR).sum(axis=1)
        review = float(same[np.argmin(held_back + let_through)])
    return {"suggest": round(max(suggest, review, SUGGEST_FLOOR), 1), "review": round(review, 1)}


def figures(conf: np.ndarray, right: np.ndarray, answerable: np.ndarray, th: dict, ok_rows: np.ndarray) -> dict:
    answered = conf >= th["review"]
    suggested = (conf >= th["suggest"]) & ok_rows
    return {
        "top1_answerable": float((right & answerable & answered).sum() / max(answerable.sum(), 1)),
        "top1_ranked": float((right & answerable).sum() / max(answerable.sum(), 1)),
        "unanswerable_abstained": float(((~answerable) & ~answered).sum() / max((~answerable).sum(), 1)),
        "suggested_precision": float(right[suggested].mean()) if suggested.any() else float("nan"),
        "suggested_share": float(suggested.mean()),
    }


def fit(data: list[dict], names: list[str]) -> tuple[np.ndarray, dict, dict]:
    profile = "semantic" if "semantic" in names else "lexical"
    w = fit_weights(data, left_out=[n in LEFT_OUT.get(profile, ()) for n in names])
    F, right, answerable = top_rows(data, w, names)
    cal = fit_calibration(F, right)
    th = choose_thresholds(confidence(cal, F), right, answerable, eligible(F), abstain_goal(profile))
    return w, cal, th


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write answerers/fusion.json")
    ap.add_argument("--cv", action="store_true", help="leave-one-questionnaire-out estimate")
    ap.add_argument("--holdout-family", action="store_true", help="fit on one family, score the other, both ways")
    args = ap.parse_args()
    if args.holdout_family:
        holdout_family()
        return
    facts, dev = load_library(), load_dev()
    fusion = json.loads(_FUSION.read_text())
    for profile, semantic in (("lexical", False), ("semantic", True)):
        engine = MatchingEngine(facts, MatchSettings(semantic=semantic))
        names = [a.name for a in engine.answerers]
        if semantic and "semantic" not in names:
            print("semantic answerer not installed; semantic profile left as it is")
            continue
        data = collect(engine, dev)
        w, cal, th = fit(data, names)
        F, right, answerable = top_rows(data, w, names)
        print(
            f"[{profile}] weights",
            dict(zip(names, np.round(w, 3).tolist(), strict=True)),
            "calibration",
            cal,
            "thresholds",
            th,
        )
        print(
            f"[{profile}] dev (fitted on itself):",
            figures(confidence(cal, F), right, answerable, th, suggestible(data, w, names, cal, F, th)),
        )
        if args.cv:
            files = sorted({d["q"].file for d in data})
            conf_all, right_all, ans_all, ok_all = [], [], [], []
            for held in files:
                train = [d for d in data if d["q"].file != held]
                test = [d for d in data if d["q"].file == held]
                w2, cal2, th2 = fit(train, names)
                F2, r, a = top_rows(test, w2, names)
                c = confidence(cal2, F2)
                # Express each fold's confidences relative to its own thresholds, then pool.
                conf_all.append(np.interp(c, [0, th2["review"], th2["suggest"], 100], [0, 50, 80, 100]))
                right_all.append(r)
                ans_all.append(a)
                ok_all.append(suggestible(test, w2, names, cal2, F2, th2))
            pooled = figures(
                np.concatenate(conf_all),
                np.concatenate(right_all),
                np.concatenate(ans_all),
                {"review": 50, "suggest": 80},
                np.concatenate(ok_all),
            )
            print(f"[{profile}] leave-one-questionnaire-out:", pooled)
            print(f"[{profile}] leave-one-questionnaire-out, whole engine:", engine_cv(engine, data, names, dev))
        fusion["profiles"][profile] = {
            "weights": dict(zip(names, [round(float(x), 4) for x in w], strict=True)),
            "plugin_weight": 0.1,
            "calibration": {k: round(v, 5) for k, v in cal.items()},
        }
        if profile == "lexical":
            fusion["thresholds"] = th
        else:
            fusion["profiles"][profile]["thresholds"] = th
    if args.write:
        _FUSION.write_text(json.dumps(fusion, indent=2) + "\n", encoding="utf-8")
        print("wrote", _FUSION)


def use_fit(engine: MatchingEngine, names: list[str], w: np.ndarray, cal: dict, th: dict) -> None:
    """Make ``engine`` match with a fit's weights, calibration and thresholds."""
    engine.weights = dict(zip(names, w.tolist(), strict=True))
    engine.calibration = cal
    engine.settings = engine.settings.model_copy(
        update={"suggest_threshold": th["suggest"], "review_threshold": th["review"]}
    )


def engine_cv(engine: MatchingEngine, data: list[dict], names: list[str], dev: list[DevQuestion]) -> dict:
    """Leave-one-questionnaire-out through the whole engine (guards and scope facts included): per
    questionnaire, fit on the others and match it with that fit; counts pooled. The engine's own
    fusion is put back afterwards."""
    from bench_matching import engine_figures

    saved = engine.weights, engine.calibration, engine.settings
    counts = {"right": 0.0, "answerable": 0, "alone": 0.0, "unanswerable": 0, "ok": 0.0, "suggested": 0.0}
    try:
        for held in sorted({d.file for d in dev}):
            w, cal, th = fit([d for d in data if d["q"].file != held], names)
            use_fit(engine, names, w, cal, th)
            items = [d for d in dev if d.file == held]
            fig = engine_figures(engine, items)
            n_ans = sum(1 for d in items if d.expected)
            counts["right"] += fig["top1"] * n_ans
            counts["answerable"] += n_ans
            counts["alone"] += fig["abstained"] * (len(items) - n_ans)
            counts["unanswerable"] += len(items) - n_ans
            n_sugg = fig["suggested"] * len(items)
            counts["suggested"] += n_sugg
            counts["ok"] += (0 if n_sugg == 0 else fig["precision"] * n_sugg)
    finally:
        engine.weights, engine.calibration, engine.settings = saved
    return {
        "answered_right": round(counts["right"] / counts["answerable"], 3),
        "left_alone": round(counts["alone"] / counts["unanswerable"], 3),
        "precision": round(counts["ok"] / max(counts["suggested"], 1e-9), 3),
    }


FAMILIES = {"dev": BENCH / "dev" / "truth.csv", "hecvat": BENCH / "real" / "hecvat-4.14-truth.csv"}


# Shares of unanswerable questions left alone at which held-out answered-right is read off.
LEFT_ALONE_POINTS = (0.85, 0.88, 0.90)


def operating_points(engine: MatchingEngine, items: list[DevQuestion], th: dict) -> str:
    """Answered right at the review threshold that leaves each of LEFT_ALONE_POINTS of the unanswerable
    questions alone (swept 10-80 in steps of 2.5, the fit's weights and calibration kept): a held-out
    comparison that does not hinge on where the other family's abstention goal put the threshold
    (a change moving it by a point traded two right answers for three left alone and looked like a
    loss or a win by that alone). Leaves the engine's thresholds as ``th``."""
    from bench_matching import engine_figures

    curve = []
    for review in np.arange(10.0, 80.01, 2.5):
        engine.settings = engine.settings.model_copy(
            update={"review_threshold": float(review), "suggest_threshold": max(th["suggest"], float(review))}
        )
        fig = engine_figures(engine, items)
        curve.append((fig["abstained"], fig["top1"]))
    engine.settings = engine.settings.model_copy(
        update={"suggest_threshold": th["suggest"], "review_threshold": th["review"]}
    )
    parts = []
    for goal in LEFT_ALONE_POINTS:
        best = max((right for alone, right in curve if alone >= goal), default=float("nan"))
        parts.append(f">= {goal:.2f}: {best:.3f}")
    return "  ".join(parts)


def holdout_family() -> None:
    """Per pair of families: fit on one, run the engine with that fit on the other (and on itself,
    labelled as fitted)."""
    from bench_matching import engine_figures, reliability

    facts = load_library()
    sets = {name: load_dev(path) for name, path in FAMILIES.items()}
    for semantic in (False, True):
        engine = MatchingEngine(facts, MatchSettings(semantic=semantic))
        names = [a.name for a in engine.answerers]
        if semantic and "semantic" not in names:
            print("semantic answerer not installed: default install only")
            continue
        profile = "semantic" if semantic else "lexical"
        data = {name: collect(engine, items) for name, items in sets.items()}
        for fit_on, train in data.items():
            w, cal, th = fit(train, names)
            use_fit(engine, names, w, cal, th)
            for score_on, items in sets.items():
                details: dict = {}
                fig = engine_figures(engine, items, details)
                label = "fitted on it" if score_on == fit_on else "HELD OUT"
                print(
                    f"[{profile}] fit {fit_on:6s} -> score {score_on:6s} ({label:12s}) thresholds {th}: "
                    f"answered right {fig['top1']:.3f}  ranked {fig['ranked']:.3f}  left alone {fig['abstained']:.3f}  "
                    f"precision {fig['precision']:.3f}  suggested {fig['suggested']:.0%}"
                )
                if score_on != fit_on:
                    reliability(details["pairs"])
                    print(f"  answered right at a given share left alone: {operating_points(engine, items, th)}")


if __name__ == "__main__":
    main()
