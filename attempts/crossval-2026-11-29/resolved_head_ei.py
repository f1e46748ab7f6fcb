"""Attempt, not kept. Import this to make the head's EI count only bins entirely above the best (the 'resolved' variant)."""
import torch
import torch.nn.functional as F
from methods import generative_hpo as g

def expected_improvement(self, logits, best=1.0):
    low, high = self.edges[:-1], self.edges[1:]
    gain = torch.where(low >= best, (low + high) / 2 - best, torch.zeros_like(low))
    return (F.softmax(logits, dim=-1) * gain).sum(-1)

cls = [c for c in vars(g).values() if isinstance(c, type) and hasattr(c, "expected_improvement") and hasattr(c, "nll")][0]
cls.expected_improvement = expected_improvement
print("patched", cls.__name__, flush=True)
