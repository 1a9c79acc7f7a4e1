"""Model zoo: offline builders (configs + random weights) of HF transformers / diffusers models, full and test size."""
from __future__ import annotations

import torch

from npusim.errors import WorkloadError


class FirstOutput(torch.nn.Module):
    """Wraps a HF model so the compiled program returns one tensor (logits / last hidden state / sample)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args):
        out = self.model(*args)
        if isinstance(out, (tuple, list)):
            return out[0]
        if hasattr(out, "to_tuple"):
            return out.to_tuple()[0]
        return out


def _lm_inputs(vocab: int, batch: int, seq: int):
    g = torch.Generator().manual_seed(0)
    return (torch.randint(0, vocab, (batch, seq), generator=g),)


def _hf(model_cls, config):
    torch.manual_seed(0)
    try:
        model = model_cls(config, attn_implementation="sdpa")
    except (ValueError, TypeError):  # models without attention (ResNet)
        model = model_cls(config)
    model = model.eval()
    return model


def resnet(depth: int, size: str):
    from transformers import ResNetConfig, ResNetForImageClassification

    if size == "test":
        cfg = ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 16, 32] if depth == 18 else [16, 32, 32, 64],
                           depths=[1, 1, 1, 1], layer_type="basic" if depth == 18 else "bottleneck", num_labels=10)
        x = torch.randn(1, 3, 32, 32)
    else:
        # torchvision resnet18/50 topologies (He et al. 2016): basic [2,2,2,2] / bottleneck [3,4,6,3].
        cfg = ResNetConfig(embedding_size=64, hidden_sizes=[64, 128, 256, 512] if depth == 18 else
                           [256, 512, 1024, 2048], depths=[2, 2, 2, 2] if depth == 18 else [3, 4, 6, 3],
                           layer_type="basic" if depth == 18 else "bottleneck", num_labels=1000,
                           downsample_in_bottleneck=True)
        x = torch.randn(1, 3, 224, 224)
    return FirstOutput(_hf(ResNetForImageClassification, cfg)), (x,)


def bert(large: bool, size: str):
    from transformers import BertConfig, BertModel

    if size == "test":
        cfg = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=32)
        seq = 8
    else:
        cfg = BertConfig(hidden_size=1024 if large else 768, num_hidden_layers=24 if large else 12,
                         num_attention_heads=16 if large else 12, intermediate_size=4096 if large else 3072)
        seq = 128
    return FirstOutput(_hf(BertModel, cfg)), _lm_inputs(cfg.vocab_size, 1, seq)


def gpt2(size: str):
    from transformers import GPT2Config, GPT2LMHeadModel

    if size == "test":
        cfg = GPT2Config(vocab_size=100, n_positions=32, n_embd=32, n_layer=2, n_head=2, use_cache=False)
        seq = 8
    else:
        cfg = GPT2Config(use_cache=False)  # 124M: 12 layers, 768 hidden, 12 heads
        seq = 128
    return FirstOutput(_hf(GPT2LMHeadModel, cfg)), _lm_inputs(cfg.vocab_size, 1, seq)


def vit(size: str):
    from transformers import ViTConfig, ViTModel

    if size == "test":
        cfg = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64)
    else:
        cfg = ViTConfig()  # ViT-B/16: 224x224, 12 layers, 768 hidden
    x = torch.randn(1, 3, cfg.image_size, cfg.image_size)
    return FirstOutput(_hf(ViTModel, cfg)), (x,)


def mistral(size: str):
    from transformers import MistralConfig, MistralForCausalLM

    if size == "test":
        cfg = MistralConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                            sliding_window=None, use_cache=False)
        seq = 8
    else:
        cfg = MistralConfig(use_cache=False, sliding_window=None)  # Mistral-7B
        seq = 128
    return FirstOutput(_hf(MistralForCausalLM, cfg)), _lm_inputs(cfg.vocab_size, 1, seq)


def llama(size: str):
    from transformers import LlamaConfig, LlamaForCausalLM

    if size == "test":
        cfg = LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                          rope_theta=500000.0, use_cache=False)
        seq = 8
    else:
        # Llama-3-8B: 32 layers, 4096 hidden, 32 heads / 8 KV heads, 14336 FFN, 128256 vocab, rope 5e5.
        cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                          num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
                          rope_theta=500000.0, use_cache=False)
        seq = 128
    return FirstOutput(_hf(LlamaForCausalLM, cfg)), _lm_inputs(cfg.vocab_size, 1, seq)


def llama4(size: str):
    from transformers import Llama4ForCausalLM, Llama4TextConfig

    if size == "test":
        cfg = Llama4TextConfig(vocab_size=100, hidden_size=32, intermediate_size=32, intermediate_size_mlp=64,
                               num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                               num_local_experts=4, num_experts_per_tok=1, max_position_embeddings=64,
                               use_cache=False, attention_chunk_size=64)
        seq = 8
    else:
        cfg = Llama4TextConfig(use_cache=False)  # Llama-4-Scout text: 16 experts, top-1 + shared expert
        seq = 128
    return FirstOutput(_hf(Llama4ForCausalLM, cfg)), _lm_inputs(cfg.vocab_size, 1, seq)


def deepseek_moe(size: str):
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM

    if size == "test":
        cfg = DeepseekV3Config(vocab_size=100, hidden_size=32, intermediate_size=64, moe_intermediate_size=16,
                               num_hidden_layers=2, first_k_dense_replace=1, num_attention_heads=4,
                               num_key_value_heads=4, n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2,
                               n_group=2, topk_group=1, q_lora_rank=16, kv_lora_rank=16, qk_rope_head_dim=8,
                               qk_nope_head_dim=8, v_head_dim=8, max_position_embeddings=64, use_cache=False)
        seq = 8
    else:
        cfg = DeepseekV3Config(use_cache=False)  # DeepSeek-V3 (671B total): config only, far too big to run here
        seq = 128
    return FirstOutput(_hf(DeepseekV3ForCausalLM, cfg)), _lm_inputs(cfg.vocab_size, 1, seq)


class UNetWrapper(torch.nn.Module):
    """UNet2DConditionModel forward(sample, timestep, encoder_hidden_states) -> sample."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, context):
        return self.unet(sample, timestep, encoder_hidden_states=context, return_dict=False)[0]


def unet(size: str):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    if size == "test":
        model = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
                                     block_out_channels=(32, 64), down_block_types=("CrossAttnDownBlock2D",
                                                                                    "DownBlock2D"),
                                     up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
                                     attention_head_dim=8, norm_num_groups=8)
        ctx, res = 32, 8
    else:
        model = UNet2DConditionModel(sample_size=64, cross_attention_dim=768)  # Stable Diffusion 1.x UNet
        ctx, res = 768, 64
    x = torch.randn(1, 4, res, res)
    return UNetWrapper(model.eval()), (x, torch.tensor([10]), torch.randn(1, 8, ctx))


BUILDERS = {
    "resnet18": lambda s: resnet(18, s), "resnet50": lambda s: resnet(50, s),
    "bert-base": lambda s: bert(False, s), "bert-large": lambda s: bert(True, s), "gpt2": gpt2, "vit-b16": vit,
    "mistral": mistral, "llama": llama, "llama4": llama4, "deepseek-moe": deepseek_moe, "unet": unet,
}
SIZES = ("full", "test")


def build_model(name: str, size: str = "full"):
    """(model, example_inputs) of zoo model `name` at `size` ('full' or 'test'), random weights, eval mode."""
    if name not in BUILDERS:
        from npusim.registry import closest

        raise WorkloadError(f"unknown zoo model {name!r}{closest(name, BUILDERS)}")
    if size not in SIZES:
        raise WorkloadError(f"zoo model {name}: unknown size {size!r} (valid: {', '.join(SIZES)})")
    return BUILDERS[name](size)
