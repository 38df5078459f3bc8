"""The ``/options`` settings: A1111 1.10's names and defaults, plus whatever clients post.

Clients read the whole dict and post it back (Open WebUI), so every key is kept, ours or not.
The values that change a generation here are read through :func:`generation_settings`; the
model, VAE and clip skip live on the engine and are merged in by the API.
Defaults from A1111 1.10 ``modules/shared_options.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from webui.errors import RequestError

A1111_DEFAULTS: dict[str, Any] = {
    "samples_save": True, "samples_format": "png", "samples_filename_pattern": "",
    "save_images_add_number": True, "grid_save": True, "grid_format": "png",
    "enable_pnginfo": True, "save_txt": False, "jpeg_quality": 80, "webp_lossless": False,
    "export_for_4chan": True, "img_downscale_threshold": 4.0, "target_side_length": 4000.0,
    "img_max_size_mp": 200.0, "use_original_name_batch": True, "save_selected_only": True,
    "outdir_samples": "", "outdir_txt2img_samples": "outputs/txt2img-images",
    "outdir_img2img_samples": "outputs/img2img-images", "outdir_extras_samples": "outputs/extras-images",
    "outdir_grids": "", "outdir_txt2img_grids": "outputs/txt2img-grids",
    "outdir_img2img_grids": "outputs/img2img-grids", "outdir_save": "log/images",
    "outdir_init_images": "outputs/init-images",
    "sd_model_checkpoint": None, "sd_checkpoints_limit": 1, "sd_checkpoints_keep_in_cpu": True,
    "sd_checkpoint_cache": 0, "sd_unet": "Automatic", "enable_quantization": False,
    "emphasis": "Original", "enable_batch_seeds": True, "comma_padding_backtrack": 20,
    "sdxl_clip_l_skip": False, "CLIP_stop_at_last_layers": 1, "upcast_attn": False,
    "randn_source": "GPU", "tiling": False, "hires_fix_refiner_pass": "second pass",
    "sd_vae_checkpoint_cache": 0, "sd_vae": "Automatic", "sd_vae_overrides_per_model_preferences": True,
    "auto_vae_precision_bfloat16": False, "auto_vae_precision": True, "sd_vae_encode_method": "Full",
    "sd_vae_decode_method": "Full", "inpainting_mask_weight": 1.0,
    "initial_noise_multiplier": 1.0, "img2img_extra_noise": 0.0, "img2img_color_correction": False,
    "img2img_fix_steps": False, "img2img_background_color": "#ffffff",
    "face_restoration": False, "face_restoration_model": "CodeFormer",
    "code_former_weight": 0.5, "face_restoration_unload": False,
    "add_model_hash_to_info": True, "add_model_name_to_info": True, "add_user_name_to_info": False,
    "add_version_to_infotext": True, "disable_weights_auto_swap": True,
    "infotext_skip_pasting": [], "infotext_styles": "Apply if any",
    "show_progressbar": True, "live_previews_enable": True, "live_previews_image_format": "png",
    "show_progress_grid": True, "show_progress_every_n_steps": 10, "show_progress_type": "Approx NN",
    "live_preview_allow_lowvram_full": False, "live_preview_content": "Prompt",
    "live_preview_refresh_period": 1000, "live_preview_fast_interrupt": False,
    "hide_samplers": [], "eta_ddim": 0.0, "eta_ancestral": 1.0, "ddim_discretize": "uniform",
    "s_churn": 0.0, "s_tmin": 0.0, "s_tmax": 0.0, "s_noise": 1.0, "sigma_min": 0.0,
    "sigma_max": 0.0, "rho": 0.0, "eta_noise_seed_delta": 0,
    "always_discard_next_to_last_sigma": False, "sgm_noise_multiplier": False,
    "uni_pc_variant": "bh1", "uni_pc_skip_type": "time_uniform", "uni_pc_order": 3,
    "uni_pc_lower_order_final": True, "sd_noise_schedule": "Default", "skip_early_cond": 0.0,
    "beta_dist_alpha": 0.6, "beta_dist_beta": 0.6,
    "postprocessing_enable_in_main_ui": [], "postprocessing_operation_order": [],
    "upscaling_max_images_in_cache": 5, "postprocessing_existing_caption_action": "Ignore",
    "ESRGAN_tile": 192, "ESRGAN_tile_overlap": 8, "realesrgan_enabled_models": [],
    "dat_enabled_models": [], "upscaler_for_img2img": None, "set_scale_by_when_changing_upscaler": False,
    "lora_functional": False, "sd_lora": "None", "lora_preferred_name": "Alias from file",
    "lora_add_hashes_to_infotext": True, "lora_show_all": False, "lora_hide_unknown_for_versions": [],
    "lora_in_memory_limit": 0, "lora_not_found_warning_console": False,
    "lora_not_found_gradio_warning": False, "extra_networks_default_multiplier": 1.0,
    "textual_inversion_print_at_load": False, "textual_inversion_add_hashes_to_infotext": True,
    "sd_hypernetwork": "None", "localization": "None", "quicksettings_list": ["sd_model_checkpoint"],
    "ui_reorder_list": [], "return_grid": True, "do_not_show_images": False, "js_modal_lightbox": True,
    "keyedit_precision_attention": 0.1, "keyedit_precision_extra": 0.05,
    "interrogate_keep_models_in_memory": False, "interrogate_return_ranks": False,
    "interrogate_clip_num_beams": 1, "interrogate_clip_min_length": 24,
    "interrogate_clip_max_length": 48, "interrogate_deepbooru_score_threshold": 0.5,
    "deepbooru_sort_alpha": True, "deepbooru_use_spaces": True, "deepbooru_escape": True,
    "api_enable_requests": True, "api_forbid_local_requests": True, "api_useragent": "",
    "unload_models_when_training": False, "training_xattention_optimizations": False,
    "sd_checkpoint_hash": "", "token_merging_ratio": 0.0, "token_merging_ratio_img2img": 0.0,
    "token_merging_ratio_hr": 0.0, "pad_cond_uncond": False, "pad_cond_uncond_v0": False,
    "persistent_cond_cache": True, "batch_cond_uncond": True, "fp8_storage": "Disable",
    "cache_fp16_weight": False, "cross_attention_optimization": "Automatic",
    "s_min_uncond": 0.0, "s_min_uncond_all": False, "use_old_emphasis_implementation": False,
    "use_old_karras_scheduler_sigmas": False, "no_dpmpp_sde_batch_determinism": False,
    "use_old_hires_fix_width_height": False, "hires_fix_use_firstpass_conds": False,
    "use_old_scheduling": False, "use_downcasted_alpha_bar": False, "refiner_switch_by_sample_steps": False,
}
SAMPLE_FORMATS = ("png", "jpg", "jpeg", "webp")


def check_setting(key: str, value: Any) -> Any:
    """The value stored for ``key``; a 422 naming it when it is one we act on and it is unusable."""
    if key == "samples_format":
        if not isinstance(value, str) or value.lower() not in SAMPLE_FORMATS:
            raise RequestError(key, "run.bad_choice", choices=", ".join(SAMPLE_FORMATS))
        return value.lower()
    if key in ("eta_noise_seed_delta", "jpeg_quality"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise RequestError(key, "run.bad_integer")
        return int(value)
    if key == "randn_source" and value != "GPU":
        raise RequestError(key, "run.unsupported", reason="only the GPU random source is implemented")
    if key in ("eta_ancestral", "eta_ddim"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RequestError(key, "run.bad_number")
    return value


class Settings:
    """The option values, shared by API threads; posting keeps unknown keys as they came."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict(A1111_DEFAULTS)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._values)

    def update(self, changes: Mapping[str, Any]) -> None:
        checked = {k: check_setting(k, v) for k, v in changes.items()}
        with self._lock:
            self._values.update(checked)


def generation_settings(values: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The settings one request runs with: the options, then its ``override_settings``."""
    merged = dict(values)
    merged.update({k: check_setting(k, v) for k, v in overrides.items()})
    return merged
