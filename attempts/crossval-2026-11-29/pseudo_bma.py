"""Attempt. Import this to weigh the head against the GP by pseudo-Bayesian model averaging instead of stacking.

The rule on main mixes the two predictive models with the stacking weight (the w that maximises the leave-one-out
log density of the mixture, with a Beta(2, 2) prior). Stacking keeps both models when neither is clearly better
pointwise, so on a task unlike the meta-train tasks (its optimum far from theirs) the weight at the first
suggestion sits around 0.2 to 0.3, and the head's large EI in the region it expects still decides the mixture's EI.
Pseudo-BMA (Geisser and Eddy 1979; Yao, Vehtari, Simpson and Gelman 2018) weighs each model by its leave-one-out
predictive likelihood, a product over the history: w = sigmoid(sum_i log p_head,i - sum_i log p_gp,i) with equal
prior odds. Evidence accumulates over the points, so the weight commits to the model that has predicted the history
better and the other model's EI stops deciding. Clipped to the stacking grid's range [0.005, 0.995].
"""
import numpy as np
from methods import gen_acquisition as ga


def stacking_weight(log_p_head, log_p_gp, prior=2.0):
    """sigmoid of the leave-one-out log likelihood ratio of the head over the GP (equal prior odds)."""
    log_ratio = float(np.sum(log_p_head) - np.sum(log_p_gp))
    return float(np.clip(1.0 / (1.0 + np.exp(-np.clip(log_ratio, -50.0, 50.0))), 0.005, 0.995))


ga.stacking_weight = stacking_weight
