"""A short real LoRA finetune of the embedded model on FPB, on CPU (a few minutes).

    python examples/finetune_cpu.py
"""

from finlora.train import TrainConfig, finetune

config = TrainConfig.build(quantization="none", rank=8, target_modules="all-linear",
                           learning_rate=5e-4, batch_size=8, grad_accum=1, max_steps=20,
                           max_seq_len=256, limit=160)
result = finetune("fpb", config=config, output_dir="runs/example-fpb")
print(result.adapter_dir, result.metrics)
