"""``/interrogate``: tiny random-weight BLIP and CLIP (Hugging Face folders with tokenizers built
here from written vocabularies) caption a picture in process and through the real server, where
webuiapi's ``interrogate`` is called unchanged; the term lists, ranking and every refusal are tables."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import httpx
import pytest
import torch
import webuiapi
from PIL import Image

from conftest import start_server, stop_server
from webui import interrogate
from webui.errors import MissingModelError, NotServedError, RequestError
from webui.interrogate import Category, Interrogator

BLIP_WORDS = ("a photo of the red blue green cat dog house tree sky under over with and "
              "small large old new bright dark").split()
SETTINGS = {"interrogate_clip_num_beams": 1, "interrogate_clip_min_length": 6,
            "interrogate_clip_max_length": 8, "interrogate_return_ranks": False,
            "interrogate_keep_models_in_memory": False}
LISTS = {c.name: c for c in interrogate.categories()}
# A caption's appended part, with ranks: ``(term:0.123)``.
RANKED = re.compile(r"\((?P<term>[^():]+):(?P<score>[01]\.\d{3})\)")


def write_blip(folder: Path) -> Path:
    from transformers import (BertTokenizer, BlipConfig, BlipForConditionalGeneration,
                              BlipImageProcessor, BlipProcessor)

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"]
    vocab = {word: i for i, word in enumerate(specials + BLIP_WORDS)}
    tokenizer = BertTokenizer(vocab=vocab, bos_token="[DEC]")
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
                              tokenizer=tokenizer)
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 2}
    config = BlipConfig(
        text_config={**tiny, "vocab_size": len(vocab), "bos_token_id": vocab["[DEC]"],
                     "sep_token_id": vocab["[SEP]"], "pad_token_id": vocab["[PAD]"],
                     "max_position_embeddings": 64, "encoder_hidden_size": 32},
        vision_config={**tiny, "image_size": 32, "patch_size": 8}, projection_dim=16)
    torch.manual_seed(0)
    BlipForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def write_clip(folder: Path) -> Path:
    """A character-level CLIP tokenizer: every letter, alone and word-final, and no merges."""
    from transformers import (CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor,
                              CLIPTokenizer)

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in "abcdefghijklmnopqrstuvwxyz0123456789-'":
        vocab[char], vocab[char + "</w>"] = len(vocab), len(vocab) + 1
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                           crop_size={"height": 32, "width": 32}),
        tokenizer=CLIPTokenizer(vocab=vocab, merges=[]))
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 2}
    config = CLIPConfig(
        text_config={**tiny, "vocab_size": len(vocab), "max_position_embeddings": 77,
                     "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1},
        vision_config={**tiny, "image_size": 32, "patch_size": 8}, projection_dim=16)
    torch.manual_seed(1)
    CLIPModel(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    models = tmp_path_factory.mktemp("home") / "models"
    write_blip(models / "BLIP" / "tiny-blip")
    write_clip(models / "CLIP" / "tiny-clip")
    return models


def picture() -> Image.Image:
    generator = torch.Generator().manual_seed(3)
    pixels = torch.randint(0, 256, (40, 56, 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy(), "RGB")


def check_caption(caption: str, with_ranks: bool) -> list[float]:
    """The caption is BLIP's words, then three flavors, a medium and a movement; the scores."""
    blip, *terms = caption.split(", ")
    assert blip and all(word in BLIP_WORDS for word in blip.split())
    assert len(terms) == 5
    scores = []
    for term, category in zip(terms, ["flavors"] * 3 + ["mediums", "movements"]):
        if with_ranks:
            match = RANKED.fullmatch(term)
            assert match, term
            term = match["term"]
            scores.append(float(match["score"]))
        assert term in LISTS[category].terms
    return scores


# --- pure parts -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, text, expected", [
    ("mediums.txt", "# what\n\nan oil painting\n  a sketch \n", Category("mediums", 1, ("an oil painting", "a sketch"))),
    ("flavors.top3.txt", "a\nb\n", Category("flavors", 3, ("a", "b"))),
    ("odd.topx.txt", "a\n", Category("odd", 1, ("a",))),
])
def test_term_lists_are_read_with_their_top_count(name, text, expected):
    assert interrogate.parse_terms(name, text) == expected


def test_our_lists_have_a_few_dozen_distinct_terms_each():
    assert sorted(LISTS) == ["flavors", "mediums", "movements"] and LISTS["flavors"].top == 3
    for category in LISTS.values():
        assert len(category.terms) >= 24 and len(set(category.terms)) == len(category.terms)


@pytest.mark.parametrize("image, texts, top, expected", [
    ([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], 1, [("a", 1.0)]),
    ([1.0, 0.0], [[0.0, 2.0], [3.0, 0.0], [1.0, 1.0]], 2, [("b", 1.0), ("c", 0.0)]),
    # cosines 1 and 0.9999: 100× apart by 0.01, so softmax gives e^.01/(1+e^.01)
    ([1.0, 0.0], [[0.9999, 0.0141], [1.0, 0.0]], 5, [("b", 0.5025), ("a", 0.4975)]),
])
def test_terms_are_ranked_by_softmax_of_100_times_the_cosine(image, texts, top, expected):
    terms = tuple("abc"[:len(texts)])
    got = interrogate.rank(torch.tensor([image]), torch.tensor(texts), terms, top)
    assert [(t, round(s, 4)) for t, s in got] == expected


@pytest.mark.parametrize("ranks, expected", [
    (False, "a cat, oil, noir"), (True, "a cat, (oil:0.500), (noir:0.013)")])
def test_terms_are_appended_as_a1111_joins_them(ranks, expected):
    assert interrogate.describe("a cat", [("oil", 0.5), ("noir", 0.0125)], ranks) == expected


def folder_with(tmp_path: Path, *files: str) -> Path:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text('{"model_type": "blip"}' if name.endswith("config.json") else "x")
    return tmp_path


@pytest.mark.parametrize("model, files, error, words", [
    ("clip", [], MissingModelError, ["models/BLIP/<name>/", "models/CLIP/<name>/", "Hugging Face"]),
    ("clip", ["BLIP/model_base_caption_capfilt_large.pth", "CLIP/ViT-L-14.pt"], NotServedError,
     ["models/BLIP/model_base_caption_capfilt_large.pth", "models/CLIP/ViT-L-14.pt",
      "Hugging Face", "models/BLIP/<name>/"]),
    ("clip", ["BLIP/hf/config.json", "CLIP/ViT-L-14.pt"], NotServedError,
     ["models/CLIP/ViT-L-14.pt", "models/CLIP/<name>/"]),
    ("clip", ["BLIP/model_base_caption_capfilt_large.pth"], MissingModelError,
     ["models/BLIP/<name>/", "models/CLIP/<name>/"]),
    ("clip", ["CLIP/wrong/config.json"], MissingModelError, ["models/CLIP/<name>/"]),
    ("deepdanbooru", [], MissingModelError, ["models/torch_deepdanbooru/model-resnet_custom_v3.pt"]),
    ("deepdanbooru", ["torch_deepdanbooru/model-resnet_custom_v3.pt"], NotServedError,
     ["DeepDanbooru", "ResNet"]),
    ("wd14", [], RequestError, ["model", "clip, deepdanbooru"]),
])
def test_what_is_missing_or_unusable_is_named(tmp_path, model, files, error, words):
    with pytest.raises(error) as caught:
        interrogate.locate(model, folder_with(tmp_path, *files))
    assert all(word in str(caught.value) for word in words), str(caught.value)
    assert type(caught.value) is error
    if "BLIP/hf/config.json" in files:
        assert "models/BLIP" not in str(caught.value)


# --- the models, in process -------------------------------------------------------------------
def test_caption_is_blip_then_ranked_terms_and_models_are_freed(models_dir):
    interrogator = Interrogator(models_dir, cuda=False)
    caption = interrogator.interrogate(picture(), "clip", SETTINGS)
    check_caption(caption, with_ranks=False)
    assert interrogator._loaded is None
    # max_length counts BLIP's start token; special tokens it may write are not words
    short = {**SETTINGS, "interrogate_clip_min_length": 1, "interrogate_clip_max_length": 3}
    assert 0 < len(interrogator.interrogate(picture(), "clip", short).split(", ")[0].split()) <= 2


def test_ranks_and_keeping_the_models_loaded(models_dir):
    interrogator = Interrogator(models_dir, cuda=False)
    keep = {**SETTINGS, "interrogate_return_ranks": True, "interrogate_keep_models_in_memory": True}
    caption = interrogator.interrogate(picture(), "clip", keep)
    flavors = check_caption(caption, with_ranks=True)[:3]
    assert flavors == sorted(flavors, reverse=True)
    loaded = interrogator._loaded
    assert loaded is not None
    assert interrogator.interrogate(picture(), "clip", keep) == caption  # same models, same answer
    assert interrogator._loaded is loaded


# --- the route, with webuiapi unchanged -------------------------------------------------------
@pytest.fixture(scope="module")
def interrogate_server(models_dir, tiny_checkpoints):
    running = start_server(models_dir.parent, [tiny_checkpoints["tiny"]])
    yield running
    stop_server(running)


def png_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_webuiapi_interrogate_and_the_ranks_option(interrogate_server):
    port = int(interrogate_server.url.rstrip("/").rsplit(":", 1)[1])
    api = webuiapi.WebUIApi(host="127.0.0.1", port=port)
    result = api.interrogate(picture())
    assert set(result.json) == {"caption"} and result.info == result.json["caption"]
    check_caption(result.info, with_ranks=False)
    api.set_options({"interrogate_return_ranks": True})
    try:
        check_caption(api.interrogate(picture()).info, with_ranks=True)
    finally:
        api.set_options({"interrogate_return_ranks": False})


@pytest.mark.parametrize("body, status, words", [
    ({"model": "wd14"}, 422, ["model", "clip, deepdanbooru"]),
    ({"model": "deepdanbooru"}, 404, ["models/torch_deepdanbooru/model-resnet_custom_v3.pt"]),
    ({"image": "not base64!"}, 422, ["image"]),
])
def test_route_refusals(interrogate_server, body, status, words):
    reply = httpx.post(interrogate_server.api("interrogate"),
                       json={"image": png_b64(picture()), **body}, timeout=30)
    assert reply.status_code == status, reply.text
    assert all(word in reply.json()["detail"] for word in words), reply.json()
