"""Label scoring (token trie, one tree-attention pass, shared-prefix cache) on CUDA gives what
one plain forward pass per label gives on the CPU, and what the same scoring gives there;
in bf16, within a few hundredths of the fp32 log-likelihoods."""

from __future__ import annotations

import pytest
import torch

from finlora.infer.scoring import score_batch
from finlora.models import load_base_model

pytestmark = pytest.mark.gpu

PREFIX = list(range(10, 40))  # a shared instruction: the prefix cache is used
PROMPTS = [PREFIX + [50, 51, 52], PREFIX + [60, 61, 62, 63, 64, 65], PREFIX + [70]]
LABELS = [[5], [5, 6], [5, 6, 7], [8, 9], [300]]  # shared prefixes: a real trie


def _plain_log_likelihood(model, prompt: list[int], label: list[int]) -> float:
    """Sum of log p(label token | everything before it), from one forward over prompt + label."""
    ids = torch.tensor([prompt + label])
    with torch.inference_mode():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    return sum(float(logprobs[len(prompt) - 1 + j, t]) for j, t in enumerate(label))


@pytest.mark.parametrize("reuse_prefix", [True, False])
def test_label_scores_on_cuda_equal_the_cpu(tiny_llama_path, reuse_prefix) -> None:
    cpu = load_base_model(tiny_llama_path, dtype=torch.float32, device="cpu").eval()
    gpu = load_base_model(tiny_llama_path, dtype=torch.float32, device="cuda").eval()
    label_ids = [LABELS] * len(PROMPTS)
    with torch.inference_mode():
        on_gpu = score_batch(gpu, PROMPTS, label_ids, pad_id=0, normalization="sum",
                             reuse_prefix=reuse_prefix)
        on_cpu = score_batch(cpu, PROMPTS, label_ids, pad_id=0, normalization="sum",
                             reuse_prefix=reuse_prefix)
    for prompt, (gpu_scores, gpu_sums), (cpu_scores, _) in zip(PROMPTS, on_gpu, on_cpu,
                                                                strict=True):
        plain = [_plain_log_likelihood(cpu, prompt, label) for label in LABELS]
        assert gpu_sums == pytest.approx(plain, abs=2e-3)
        assert gpu_scores == pytest.approx(cpu_scores, abs=2e-3)
        assert max(range(len(LABELS)), key=gpu_scores.__getitem__) == max(
            range(len(LABELS)), key=plain.__getitem__)


def test_label_scores_in_bf16_on_cuda_stay_near_fp32(tiny_llama_path) -> None:
    cpu = load_base_model(tiny_llama_path, dtype=torch.float32, device="cpu").eval()
    gpu = load_base_model(tiny_llama_path, dtype=torch.bfloat16, device="cuda").eval()
    with torch.inference_mode():
        scored = score_batch(gpu, PROMPTS, [LABELS] * len(PROMPTS), pad_id=0,
                             normalization="mean")
    for prompt, (scores, _) in zip(PROMPTS, scored, strict=True):
        plain = [_plain_log_likelihood(cpu, prompt, label) / len(label) for label in LABELS]
        assert scores == pytest.approx(plain, abs=0.1)  # bf16: a few hundredths
