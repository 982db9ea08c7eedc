#!/usr/bin/env python3
"""Compares learners on the ranking features, held out, offline.

The shipped ranker is a logistic regression (bot/ranking.h, `careerbot kb
train`). This script asks whether a gradient-boosted tree model (XGBoost)
would rank or judge confidence better on the same features, so the choice is
measured rather than assumed. It is a development tool: nothing in the build
or the tests runs it.

  careerbot kb train --order hand --features-out /tmp/features.tsv
  sudo apt-get install python3-xgboost python3-numpy   # Debian's packages
  /usr/bin/python3 scripts/compare_rankers.py /tmp/features.tsv

Folds are grouped by written question (a question and its generated variants
stay together), five of them, assigned by a hash of the group: the same split
for every learner. For each learner it prints the held-out top-1 accuracy
(right entry ranked first) and the answerable accuracy at the lowest
threshold whose decline accuracy reaches --decline (default 0.924, what the
shipped model reaches held out).
"""
import argparse
import hashlib
import sys

import numpy as np


def load(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    col = {name: i for i, name in enumerate(header)}
    group = [r[col["group"]] for r in rows]
    rank = np.array([int(r[col["position"]]) for r in rows])
    data = {
        "answerable": np.array([int(r[col["answerable"]]) for r in rows]),
        "right": np.array([int(r[col["right"]]) for r in rows]),
        "no_answer": np.array([int(r[col["no_answer"]]) for r in rows]),
        "x": np.array([[float(v) for v in r[6:]] for r in rows]),
        "names": header[6:],
    }
    # The rank model's own outputs are 0 while ranking.
    for name in ("rank_score", "rank_margin"):
        if name in data["names"]:
            data["x"][:, data["names"].index(name)] = 0
    qid = np.cumsum(rank == 0) - 1
    data["qid"] = qid
    groups = {}
    for i, q in enumerate(qid):
        groups[q] = group[i]
    fold_of_q = np.array([int(hashlib.md5(groups[q].encode()).hexdigest(), 16) % 5 for q in range(qid.max() + 1)])
    data["fold"] = fold_of_q[qid]
    return data


def logistic(x_train, y_train, x_test, l2=1.0, iterations=30):
    """L2-regularized logistic regression by Newton's method, as bot/ranking.cc fits it."""
    mean, scale = x_train.mean(0), x_train.std(0) + 1e-9
    z, zt = (x_train - mean) / scale, (x_test - mean) / scale
    n = z.shape[1]
    w, b = np.zeros(n), 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        s = p * (1 - p)
        grad = np.append(z.T @ (p - y_train) + l2 * w, (p - y_train).sum())
        hess = np.zeros((n + 1, n + 1))
        hess[:-1, :-1] = (z * s[:, None]).T @ z + l2 * np.eye(n)
        hess[-1, :-1] = hess[:-1, -1] = (z * s[:, None]).sum(0)
        hess[-1, -1] = s.sum()
        step = np.linalg.solve(hess, grad)
        w, b = w - step[:-1], b - step[-1]
    return 1 / (1 + np.exp(-(zt @ w + b)))


def boosted(depth, rounds):
    import xgboost as xgb

    def fit(x_train, y_train, x_test):
        params = {"objective": "binary:logistic", "max_depth": depth, "eta": 0.1, "nthread": 2, "seed": 0}
        model = xgb.train(params, xgb.DMatrix(x_train, label=y_train), rounds)
        return model.predict(xgb.DMatrix(x_test))

    return fit


def held_out(data, fit, decline_target):
    """Each question's top candidate by the learner's score, scored held out; the score is the confidence."""
    nq = data["qid"].max() + 1
    top_right, top_conf, top_no_answer = np.zeros(nq), np.zeros(nq), np.zeros(nq)
    answerable = np.zeros(nq, int)
    for f in range(5):
        train, test = data["fold"] != f, data["fold"] == f
        scores = fit(data["x"][train], data["right"][train].astype(float), data["x"][test])
        best = {}
        for s, i in zip(scores, np.where(test)[0]):
            q = data["qid"][i]
            if q not in best or s > best[q][0]:
                best[q] = (s, i)
        for q, (s, i) in best.items():
            top_right[q], top_conf[q], top_no_answer[q] = data["right"][i], s, data["no_answer"][i]
            answerable[q] = data["answerable"][i]
    a, d = answerable == 1, answerable == 0
    for t in np.linspace(0, 1, 201):
        ans = ((top_right == 1) & (top_conf >= t))[a].mean()
        dec = ((top_conf < t) | (top_no_answer == 1))[d].mean()
        if dec >= decline_target:
            return top_right[a].mean(), t, ans, dec
    return top_right[a].mean(), 1.0, 0.0, 1.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("features")
    parser.add_argument("--decline", type=float, default=0.924)
    args = parser.parse_args()
    data = load(args.features)
    print(f"{data['qid'].max() + 1} questions, {len(data['right'])} candidates, {len(data['names'])} features")
    learners = [("logistic regression", logistic)]
    try:
        import xgboost  # noqa: F401

        for depth in (3, 4, 6):
            for rounds in (100, 300):
                learners.append((f"xgboost depth {depth}, {rounds} rounds", boosted(depth, rounds)))
    except ImportError:
        print("python3-xgboost is not installed: logistic regression only", file=sys.stderr)
    for name, fit in learners:
        top1, t, ans, dec = held_out(data, fit, args.decline)
        print(f"{name:32s} top-1 {top1:.3f}   at threshold {t:.3f}: answerable {ans:.3f} decline {dec:.3f}")


if __name__ == "__main__":
    main()
