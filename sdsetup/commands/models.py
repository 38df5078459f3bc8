"""``sdsetup models get | list | verify``: model files in the A1111 layout."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from sdsetup.cli import render_warning
from sdsetup.columns import table
from sdsetup.errors import SdsetupError, UsageError
from sdsetup.i18n import t
from sdsetup.units import human_size
from sdsetup.mirrors.choice import chosen_mirror
from sdsetup.models import civitai
from sdsetup.models.civitai import CivitaiClient
from sdsetup.models.fetcher import GetOptions, Installed, get
from sdsetup.models.hffolder import InstalledFolder, get_folder
from sdsetup.models.hashcache import CACHE_NAME, HashCache
from sdsetup.models.arch import Architecture
from sdsetup.models.hf import DEFAULT_ENDPOINT, endpoint, endpoint_var
from sdsetup.models.library import (
    BROKEN, MISMATCH, ModelEntry, describe, entry_json, model_files, shown_path,
)
from sdsetup.models.placement import FOLDERS, MODEL_FOLDERS, Layout, canonical_type
from sdsetup.models.refs import CivitaiRef, HfRef, HfRepoRef, Reference, parse_reference

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ORDER = 40


def _models_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models-dir", metavar="DIR", type=Path, help=t("models.opt_models_dir"))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help=t("models.cmd_help"),
                                   description=t("models.cmd_description"))
    parser.set_defaults(func=lambda args, ctx: _no_action(parser))
    actions = parser.add_subparsers(dest="models_action", metavar="<action>")

    get_parser = actions.add_parser("get", help=t("models.get_help"),
                                    description=t("models.get_description"),
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    get_parser.add_argument("reference", help=t("models.opt_reference"))
    get_parser.add_argument("--token", metavar="KEY", help=t("models.opt_token"))
    get_parser.add_argument("--file", metavar="NAME|ID", help=t("models.opt_file"))
    get_parser.add_argument("--type", metavar="TYPE",
                            help=t("models.opt_type", types=", ".join(FOLDERS),
                                   folders=", ".join(MODEL_FOLDERS)))
    get_parser.add_argument("--dest", metavar="DIR", type=Path, help=t("models.opt_dest"))
    get_parser.add_argument("--name", metavar="FILENAME", help=t("models.opt_name"))
    get_parser.add_argument("--allow-pickle", action="store_true", help=t("models.opt_allow_pickle"))
    get_parser.add_argument("--mirror", metavar="NAME", help=t("models.opt_mirror"))
    get_parser.add_argument("--connections", metavar="N", type=int,
                            help=t("models.opt_connections"))
    get_parser.add_argument("--json", action="store_true", help=t("models.opt_json_get"))
    get_parser.add_argument("--progress", action="store_true", default=None,
                            help=t("models.opt_progress"))
    _models_dir_option(get_parser)
    get_parser.set_defaults(func=run_get)

    list_parser = actions.add_parser("list", help=t("models.list_help"),
                                     description=t("models.list_description"))
    list_parser.add_argument("--json", action="store_true", help=t("models.opt_json_list"))
    _models_dir_option(list_parser)
    list_parser.set_defaults(func=run_list)

    verify_parser = actions.add_parser("verify", help=t("models.verify_help"),
                                       description=t("models.verify_description"))
    verify_parser.add_argument("--rehash", action="store_true", help=t("models.opt_rehash"))
    verify_parser.add_argument("--json", action="store_true", help=t("models.opt_json_list"))
    _models_dir_option(verify_parser)
    verify_parser.set_defaults(func=run_verify)


def _no_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise SdsetupError("models.bad_config", hint="models.hint_config", path=str(path),
                           detail=str(err)) from None


def _layout(ctx, args) -> Layout:
    return Layout.of(ctx.home, args.models_dir)


def _cache(ctx) -> HashCache:
    return HashCache(ctx.home.root / CACHE_NAME)


def _report_installed(done: Installed, as_json: bool) -> None:
    for warning in done.warnings:
        print(render_warning(warning), file=sys.stderr)
    if as_json:
        print(json.dumps(done.as_json(), ensure_ascii=False))
        return
    key = "models.already_installed" if done.already else (
        "models.installed" if done.verified else "models.installed_unverified")
    print(t(key, path=str(done.path), type=_type_words(done.type), family=_family_words(done.arch),
            size=human_size(done.size), autov2=done.sha256[:10].upper()))
    for path in done.sidecars:
        print(t("models.sidecar_written", path=str(path)))


def _placement_type(value: str | None, ref: Reference) -> str | None:
    """A file's canonical type, or for a Hugging Face folder one of the folder kinds."""
    if value is None:
        return None
    if isinstance(ref, HfRepoRef):
        if value.strip().lower() not in MODEL_FOLDERS:
            raise UsageError("models.bad_type", hint="models.hint_type_list", value=value,
                             types=", ".join(MODEL_FOLDERS))
        return value.strip().lower()
    kind = canonical_type(value)
    if kind is None:
        raise UsageError("models.bad_type", hint="models.hint_type_list", value=value,
                         types=", ".join(FOLDERS))
    return kind


def _get_options(args: argparse.Namespace, ctx, ref: Reference) -> GetOptions:
    if args.connections is not None and args.connections < 1:
        raise UsageError("models.bad_connections", hint="models.hint_connections",
                         value=args.connections)
    if args.file is not None and isinstance(ref, HfRepoRef):
        raise UsageError("models.file_with_folder", hint="models.hint_hf_one_file",
                         repo=ref.repo)
    return GetOptions(layout=_layout(ctx, args), hf_token=os.environ.get("HF_TOKEN") or None,
                      hf_endpoint_var=endpoint_var(os.environ),
                      file=args.file, type=_placement_type(args.type, ref),
                      dest=args.dest.expanduser().absolute() if args.dest else None,
                      name=args.name, allow_pickle=args.allow_pickle,
                      connections=args.connections, progress=args.progress, announce=_announce)


def _announce(name: str, size: int | None, folder: Path | None) -> None:
    shown = human_size(size) if size is not None else "?"
    line = t("models.fetching", name=name, size=shown, folder=str(folder)) if folder else \
        t("models.fetching_unplaced", name=name, size=shown)
    print(line, file=sys.stderr)


def _report_folder(done: InstalledFolder, as_json: bool) -> None:
    for warning in done.warnings:
        print(render_warning(warning), file=sys.stderr)
    if as_json:
        print(json.dumps(done.as_json(), ensure_ascii=False))
        return
    key = "models.folder_already" if done.already else (
        "models.folder_installed" if done.verified else "models.folder_installed_unverified")
    print(t(key, path=str(done.path), type=_type_words(done.type), count=len(done.files),
            size=human_size(done.size)))


def run_get(args: argparse.Namespace, ctx) -> int:
    ref = parse_reference(args.reference)
    options = _get_options(args, ctx, ref)
    mirror = chosen_mirror(ctx.home, args.mirror)
    token = civitai.pick_token(args.token, os.environ, _config(ctx.home.config_file),
                               getattr(ref, "url_token", None))
    # Only the base this reference uses is checked: a bad HF_ENDPOINT must not stop Civitai.
    api = civitai.api_base(mirror.civitai, os.environ, mirror=mirror.name) \
        if isinstance(ref, CivitaiRef) else civitai.DEFAULT_BASE
    hf_base = endpoint(mirror.huggingface, os.environ, mirror=mirror.name) \
        if isinstance(ref, (HfRef, HfRepoRef)) else DEFAULT_ENDPOINT
    cache = _cache(ctx)
    try:
        if isinstance(ref, HfRepoRef):
            done: Installed | InstalledFolder = get_folder(ref, hf_base, options, cache)
        else:
            with CivitaiClient(api, token) as client:
                done = get(ref, client=client, hf_base=hf_base, options=options, cache=cache)
    finally:
        cache.save()
    report = _report_folder if isinstance(done, InstalledFolder) else _report_installed
    report(done, args.json)
    return 0


def _type_words(kind: str) -> str:
    return t(f"models.type.{kind}")


def _family_words(arch: Architecture | None) -> str:
    """The family as shown to people: sd1, sdxl… (names, not words), "unknown" translated."""
    if arch is None:
        return "-"
    family = t("models.family_unknown") if arch.family == "unknown" else arch.family
    return family + (" " + t("models.inpainting") if arch.inpainting else "")


def _table(entries: list[ModelEntry], layout: Layout) -> None:
    header = (t("models.col_name"), t("models.col_type"), t("models.col_arch"),
              t("models.col_size"), t("models.col_hash"), t("models.col_status"))
    rows = [header] + [(shown_path(e.path, layout), _type_words(e.type), _family_words(e.arch),
                        human_size(e.size), e.autov2 or "-", t(f"models.status_{e.status}"))
                       for e in entries]
    for line in table(rows):
        print(line)
    for entry in entries:
        if entry.problem is not None:
            print(f"  {entry.path.name}: {entry.problem}")


def _entries(ctx, args, *, hash_now: bool, fresh: bool = False) -> tuple[list[ModelEntry], Layout]:
    layout = _layout(ctx, args)
    if args.models_dir is not None and not layout.models.is_dir():
        raise SdsetupError("models.no_models_dir", hint="models.hint_models_dir",
                           path=str(layout.models))
    cache = _cache(ctx)
    entries = []
    try:
        for kind, path in model_files(layout):
            if hash_now and (fresh or cache.cached(path) is None):
                # Hashing a 7 GB file takes a while: say which one is being read.
                print(t("models.hashing", path=shown_path(path, layout),
                        size=human_size(path.stat().st_size)), file=sys.stderr)
            entries.append(describe(kind, path, cache, hash_now=hash_now, fresh=fresh))
    finally:
        cache.save()  # hashes computed before an interruption are kept
    return entries, layout


def _show(entries: list[ModelEntry], layout: Layout, as_json: bool) -> None:
    if as_json:
        print(json.dumps([entry_json(e, layout) for e in entries], indent=2, ensure_ascii=False))
    elif not entries:
        print(t("models.none_found", path=str(layout.models)))
    else:
        _table(entries, layout)


def run_list(args: argparse.Namespace, ctx) -> int:
    entries, layout = _entries(ctx, args, hash_now=False)
    _show(entries, layout, args.json)
    unhashed = sum(1 for e in entries if e.sha256 is None)
    if unhashed and not args.json:
        print(t("models.list_unhashed", count=unhashed))
    return 0


def run_verify(args: argparse.Namespace, ctx) -> int:
    entries, layout = _entries(ctx, args, hash_now=True, fresh=args.rehash)
    _show(entries, layout, args.json)
    bad = [e for e in entries if e.status in (BROKEN, MISMATCH)]
    if not args.json:
        print(t("models.verify_summary", total=len(entries), bad=len(bad)))
    return 1 if bad else 0
