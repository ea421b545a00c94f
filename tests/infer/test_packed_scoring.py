"""Packed label scoring: every label's log-likelihood equals a plain forward pass over
prompt + label, whatever the packing (rows, batch size, shared prefix, label tries)."""

from __future__ import annotations

import pytest
import torch

from finlora.infer.dense_base import dense_bytes, dense_fits
from finlora.infer.fused_glue import Glue
from finlora.infer.packed_forward import packed_hidden, prefix_kv
from finlora.infer.packed_layout import pack_rows
from finlora.infer.packed_scoring import GRAPH_TOKENS, NF4_GRAPH_TOKENS, PackedState, score_packed
from finlora.infer.scoring import score_sorted_batches

VOCAB = 512
# NWGI-like: 7 labels of 1-3 tokens sharing leading tokens, one a proper prefix of others
# (ending in the end-of-text id 2, as `label_token_ids` makes it); XBRL-like: concept names
# sharing a 3-token "us-gaap:" prefix
TRIE_LABELS = [[5, 2], [5, 7], [5, 7, 9], [8], [8, 3], [11, 12, 13], [40]]
CONCEPTS = [[60, 61, 62, 70 + i, 90 + i % 3] for i in range(6)] + [[60, 61, 62, 99]]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny matrices: one thread (two threads on a loaded 2-core machine are ~100× slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, vocab_size=VOCAB,
                         initializer_range=0.2, rope_theta=10000.0)
    torch.manual_seed(0)
    return LlamaForCausalLM(config).eval()


def _prompts(n: int, shared: int, seed: int = 1) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    head = torch.randint(100, VOCAB, (shared,), generator=g).tolist()
    return [head + torch.randint(100, VOCAB, (3 + (7 * i) % 37,), generator=g).tolist()
            for i in range(n)]


def _plain(model, prompt: list[int], label: list[int]) -> float:
    """One plain forward pass over prompt + label: the label's summed log-probability."""
    with torch.inference_mode():
        logits = model(torch.tensor([prompt + label])).logits[0]
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    return sum(logprobs[len(prompt) - 1 + j, t].item() for j, t in enumerate(label))


@pytest.mark.parametrize(("labels", "batch", "row_tokens", "shared"), [
    (TRIE_LABELS, 4, 48, 20),     # several rows per pass, shared instruction
    (TRIE_LABELS, 1, 1024, 20),   # one prompt per pass, prefix still reused
    (CONCEPTS, 9, 1024, 0),       # nothing shared, one row
    ([[7], [9], [11]], 9, 64, 25),  # FPB-like one-token labels
])
def test_packed_scores_equal_plain_forward_passes(tiny_llama, labels, batch, row_tokens, shared):
    prompts = _prompts(9, shared)
    state = PackedState()
    got = score_packed(tiny_llama, prompts, [labels] * len(prompts), batch_size=batch, pad_id=0,
                       state=state, row_tokens=row_tokens, normalization="sum")
    for prompt, (scores, sums) in zip(prompts, got, strict=True):
        want = [_plain(tiny_llama, prompt, label) for label in labels]
        assert sums == pytest.approx(want, abs=1e-4)
        assert scores == sums  # normalization "sum"
    assert len({tuple(s) for _, s in got}) == len(prompts)  # prompts do differ
    assert state.stats["prefix_tokens"] == (shared if shared else 0)


def test_mean_normalisation_and_engines_agree(tiny_llama):
    prompts = _prompts(6, 18, seed=3)
    labels = [TRIE_LABELS] * len(prompts)
    packed = score_sorted_batches(tiny_llama, prompts, labels, batch_size=4, pad_id=0)
    tree = score_sorted_batches(tiny_llama, prompts, labels, batch_size=4, pad_id=0,
                                engine="tree")
    for (p_scores, p_sums), (t_scores, t_sums) in zip(packed, tree, strict=True):
        assert p_sums == pytest.approx(t_sums, abs=1e-4)
        assert p_scores == pytest.approx(t_scores, abs=1e-4)
        assert p_scores == pytest.approx([s / len(ids) for s, ids in zip(p_sums, TRIE_LABELS,
                                                                         strict=True)])


def test_prefix_is_computed_once_across_calls(tiny_llama):
    prompts = _prompts(8, 20, seed=5)
    state = PackedState()
    first = score_packed(tiny_llama, prompts[:4], [[[7], [9]]] * 4, batch_size=2, pad_id=0,
                         state=state)
    again = score_packed(tiny_llama, prompts[4:], [[[7], [9]]] * 4, batch_size=1, pad_id=0,
                         state=state)
    assert state.stats["prefix_fills"] == 1
    for prompt, (_, sums) in zip(prompts, first + again, strict=True):
        assert sums == pytest.approx([_plain(tiny_llama, prompt, [7]),
                                      _plain(tiny_llama, prompt, [9])], abs=1e-4)


def test_rows_are_packed_without_padding_between_prompts():
    prompts = _prompts(20, 10, seed=7)
    packed = pack_rows(prompts, [TRIE_LABELS] * 20, pad_id=0, prefix_len=10, row_tokens=128)
    rows, width = packed.shape
    fed = 5  # trie nodes with children: 5, 5-7, 8, 11, 11-12
    assert packed.real_tokens == sum(len(p) - 10 + fed for p in prompts)
    assert rows * width - packed.real_tokens < width  # less than one row of slack
    real = packed.positions >= 10  # padding keeps position 0
    for r in range(rows):
        used = int(real[r].sum())
        assert real[r, :used].all() and not real[r, used:].any()  # prompts back to back


def test_dense_copy_of_nf4_weights_scores_like_the_nf4_layers(tiny_llama):
    bnb = pytest.importorskip("bitsandbytes")
    import copy

    import bitsandbytes.functional as bnbf

    model = copy.deepcopy(tiny_llama)
    mlp = model.model.layers[0].mlp
    linear = mlp.up_proj
    packed, quant = bnbf.quantize_4bit(linear.weight.data, blocksize=64, quant_type="nf4")
    layer = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=False,
                              compute_dtype=torch.float32, quant_type="nf4")
    layer.weight = bnb.nn.Params4bit(packed, requires_grad=False, quant_state=quant,
                                     blocksize=64, quant_type="nf4", module=layer,
                                     bnb_quantized=True)
    mlp.up_proj = layer
    prompts = _prompts(5, 12, seed=9)
    labels = [[[7], [9], [11, 12]]] * 5
    plain = PackedState()
    nf4 = score_packed(model, prompts, labels, batch_size=5, pad_id=0, state=plain)
    # no dense copy on the CPU, and graphs (were they on) only for passes up to the nf4 limit
    assert plain.stats["dense_base"] is False
    assert plain.stats["graph_tokens"] == NF4_GRAPH_TOKENS < GRAPH_TOKENS
    state = PackedState()
    dense = score_packed(model, prompts, labels, batch_size=5, pad_id=0, state=state,
                         dense_base=True)
    assert state.stats["dense_bytes"] == linear.weight.numel() * 4  # one copy, compute dtype
    assert dense_bytes(model) == linear.weight.numel() * 4  # what the default checks for
    assert not dense_fits(model)  # on the CPU: the default leaves nf4 layers as they are
    assert "forward" not in vars(layer)  # the nf4 layer is itself again afterwards
    assert mlp.up_proj is layer  # and back in its place (the copy swapped it out while active)
    for (_, a), (_, b) in zip(nf4, dense, strict=True):
        assert a == pytest.approx(b, abs=1e-4)


@pytest.mark.parametrize(("labels", "shared"), [(TRIE_LABELS, 20), (CONCEPTS, 0)])
def test_fused_glue_scores_equal_plain_forward_passes(tiny_llama, labels, shared):
    """The glue's own norms, rotary and SwiGLU (eager on the CPU) against transformers'."""
    prompts = _prompts(6, shared, seed=3)
    state = PackedState()
    got = score_packed(tiny_llama, prompts, [labels] * len(prompts), batch_size=3, pad_id=0,
                       state=state, normalization="sum", fused=True, row_tokens=48)
    assert False in state.glue  # the glue ran (eager here)
    for prompt, (_, sums) in zip(prompts, got, strict=True):
        assert sums == pytest.approx([_plain(tiny_llama, p, lab) for p, lab in
                                      [(prompt, label) for label in labels]], abs=1e-4)


@pytest.mark.slow
def test_compiled_glue_gives_the_eager_hidden_states(tiny_llama):
    """torch.compile of the glue pieces (inductor on the CPU here; CUDA on the GPU)."""
    prompts = _prompts(4, 20, seed=5)
    body = tiny_llama.model
    with torch.inference_mode():
        prefix = prefix_kv(body, tuple(prompts[0][:20]), torch.device("cpu"))
        glue = Glue(compiled=True)
        for width in (48, 64):  # two packed shapes: the second may recompile
            packed = pack_rows(prompts, [TRIE_LABELS] * 4, pad_id=0, prefix_len=20,
                               row_tokens=width)
            args = (packed.input_ids, packed.positions, packed.allowed, prefix)
            want = packed_hidden(body, *args)
            got = packed_hidden(body, *args, glue)
            assert glue.failure is None
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_compiled_glue_is_off_by_default_for_short_runs_and_on_the_cpu(tiny_llama):
    from finlora.infer.packed_scoring import FUSED_AFTER_PROMPTS

    prompts = _prompts(5, 12, seed=3)
    labels = [[[7], [9]]] * 5
    state = PackedState()
    score_packed(tiny_llama, prompts, labels, batch_size=5, pad_id=0, state=state)
    score_packed(tiny_llama, prompts, labels, batch_size=5, pad_id=0, state=state)
    assert state.scored == 10 < FUSED_AFTER_PROMPTS
    assert state.glue == {}  # nothing compiled (nor uncompiled glue built) by default here
