"""Messages of the models domain. Keys are prefixed `models.`; both languages must be complete."""

EN: dict[str, str] = {
    # safetensors validation
    "models.hint_redownload": "delete the file and download it again: sdsetup models get <reference>",
    "models.st_too_small": "{path} is not a safetensors file: only {size} bytes",
    "models.st_text_page": "{path} is a text or web page, not a model (it begins: {snippet})",
    "models.st_header_too_large": "{path} is not a safetensors file: header length {length} is "
                                  "impossibly large",
    "models.st_header_truncated": "{path} is cut off inside its header ({length} header bytes "
                                  "announced, the file has {size})",
    "models.st_bad_json": "{path} has a corrupt safetensors header ({detail})",
    "models.st_duplicate_name": "{path} names tensor {name} twice in its header",
    "models.st_bad_entry": "{path} has a corrupt entry for tensor {name} in its header",
    "models.st_bad_size": "{path}: tensor {name} ({dtype} {shape}) does not fit its {nbytes} bytes",
    "models.st_bad_metadata": "{path} has corrupt metadata in its header (values must be text)",
    "models.st_bad_offsets": "{path}: tensor {name} starts at byte {start}, expected {expected} "
                             "(gaps or overlaps in the data)",
    "models.st_truncated": "{path} is incomplete: {size} bytes of {expected} (interrupted download)",
    "models.st_trailing": "{path} has extra bytes after the data: {size} bytes, expected {expected}",
    "models.st_unreadable": "cannot read {path}: {detail}",
    "models.not_gguf": "{path} is not a GGUF file (wrong magic bytes)",
    # command line
    "models.cmd_help": "fetch, list and verify model files (Civitai, Hugging Face, any URL)",
    "models.cmd_description": "Model files in the AUTOMATIC1111 layout: checkpoints in "
                              "models/Stable-diffusion, LoRAs in models/Lora, embeddings in "
                              "embeddings/ and so on. Use --models-dir to work on an existing "
                              "A1111 install's models folder.",
    "models.get_help": "download a model, verify it and put it in the right folder",
    "models.get_description": "Download a model from Civitai, Hugging Face or any URL, resumably, "
                              "check its SHA-256 and file format, and place it in the A1111 layout "
                              "with its metadata (<name>.civitai.json) and preview "
                              "(<name>.preview.png).\n\n"
                              "Accepted references:\n"
                              "  https://civitai.com/models/4201/slug?modelVersionId=130072\n"
                              "  https://civitai.com/api/download/models/130072\n"
                              "  urn:air:sd1:checkpoint:civitai:4201@130072\n"
                              "  civitai:4201  or  civitai:4201@130072\n"
                              "  hf:owner/repo/path/file.safetensors[@revision]\n"
                              "  hf:owner/repo[@revision]   (a whole BLIP or CLIP model folder, "
                              "for interrogate)\n"
                              "  https://example.org/any/file.safetensors",
    "models.opt_reference": "what to fetch: a Civitai link, AIR, civitai:ID[@VERSION], "
                            "hf:owner/repo/file, hf:owner/repo (a model folder) or a URL",
    "models.opt_token": "Civitai API key (else CIVITAI_TOKEN, else [civitai] token in config.toml); "
                        "sent to the Civitai API only",
    "models.opt_file": "which file of the version, by name or id (default: the safetensors "
                       "weights, else the primary file)",
    "models.opt_type": "put it where this type goes, whatever the site says: {types}; for a "
                       "Hugging Face folder: {folders}",
    "models.opt_dest": "put it in this folder instead",
    "models.opt_name": "save it under this file name",
    "models.opt_allow_pickle": "allow pickle formats (.ckpt, .pt, .bin), which can run code when "
                               "loaded",
    "models.opt_mirror": "mirror whose Civitai and Hugging Face endpoints to use (see: sdsetup "
                         "mirrors)",
    "models.opt_connections": "parallel connections for large files",
    "models.opt_json_get": "print the result as one JSON object",
    "models.opt_json_list": "print the result as JSON",
    "models.opt_models_dir": "an A1111 models folder to use instead of the one in the sdsetup home",
    "models.list_help": "show the models on disk: type, architecture, size, hash, state",
    "models.list_description": "List model files under the models folder and embeddings/, with "
                               "the architecture read from each file's header and the AutoV2 "
                               "short hash when it is known.",
    "models.verify_help": "re-hash every model and compare with its recorded SHA-256",
    "models.verify_description": "Check every model file: its format, and its SHA-256 against the "
                                 "one recorded beside it (<name>.civitai.json, or <name>.sha256 for "
                                 "a Hugging Face file). Hashes are cached by size and modification "
                                 "time; --rehash reads every file again.",
    "models.opt_rehash": "ignore cached hashes and read every file again",
    # results
    "models.installed": "placed {path}\n  {type}, {family}, {size}, SHA-256 checked, AutoV2 {autov2}",
    "models.installed_unverified": "placed {path}\n  {type}, {family}, {size}, AutoV2 {autov2} "
                                   "(no published SHA-256 to check against)",
    "models.hashing": "hashing {path} ({size})…",
    "models.fetching": "downloading {name} ({size}) into {folder}",
    "models.fetching_unplaced": "downloading {name} ({size}); its folder follows from its contents",
    "models.opt_progress": "show progress bars even when stderr is not a terminal (for front ends)",
    "models.already_installed": "already installed: {path}\n  {type}, {family}, {size}, AutoV2 "
                                "{autov2}",
    "models.sidecar_written": "  + {path}",
    "models.warn_kind": "the file looks like a {detected}, but it is labelled {declared}; it was "
                        "placed as {declared} (use --type to change that)",
    "models.warn_family": "the file's weights are {detected}, but Civitai says {declared}; it "
                          "will not work with models of the other family",
    "models.warn_preview": "no preview image: {detail}",
    "models.warn_unverified": "no SHA-256 is published for {name}: its content could not be "
                              "checked",
    "models.warn_unknown_kind": "could not tell what kind of model {name} is; it was put in "
                                "models/Other (use --type to choose)",
    "models.col_name": "NAME",
    "models.col_type": "TYPE",
    "models.col_arch": "ARCHITECTURE",
    "models.col_size": "SIZE",
    "models.col_hash": "AUTOV2",
    "models.col_status": "STATE",
    "models.status_ok": "ok",
    "models.status_broken": "BROKEN",
    "models.status_mismatch": "HASH MISMATCH",
    "models.status_unchecked": "not checked yet",
    "models.status_unverified": "no hash to check against",
    "models.family_unknown": "unknown",
    "models.inpainting": "inpaint",
    # model types (the folders of sdsetup.models.placement.FOLDERS)
    "models.type.checkpoint": "checkpoint",
    "models.type.lora": "lora",
    "models.type.embedding": "embedding",
    "models.type.hypernetwork": "hypernetwork",
    "models.type.vae": "vae",
    "models.type.controlnet": "controlnet",
    "models.type.upscaler": "upscaler",
    "models.type.motionmodule": "motion module",
    "models.type.detection": "detection model",
    "models.type.aestheticgradient": "aesthetic gradient",
    "models.type.wildcards": "wildcards",
    "models.type.textencoder": "text encoder",
    "models.type.other": "other",
    "models.type.blip": "BLIP captioning model",
    "models.type.clip": "CLIP model",
    "models.none_found": "no model files under {path}",
    "models.list_unhashed": "{count} file(s) not hashed yet; run: sdsetup models verify",
    "models.verify_summary": "{total} file(s) checked, {bad} broken or changed",
    # errors
    "models.bad_reference": "not a model reference: {reference}",
    "models.hint_reference_forms": "use one of: https://civitai.com/models/ID?modelVersionId=VERSION"
                                   " | urn:air:sdxl:checkpoint:civitai:ID@VERSION | civitai:ID[@VERSION]"
                                   " | hf:owner/repo/file.safetensors[@revision] | hf:owner/repo"
                                   " | https://host/file.safetensors",
    "models.bare_number": "{number} alone is ambiguous: a Civitai model id or a version id?",
    "models.hint_bare_number": "sdsetup models get civitai:{number}   (a model id; for a version "
                               "id use civitai:MODEL@{number})",
    "models.bad_type": "unknown model type: {value}",
    "models.hint_type_list": "use one of: {types}",
    "models.bad_connections": "--connections must be 1 or more, not {value}",
    "models.hint_connections": "sdsetup models get <reference> --connections 4",
    "models.bad_file_name": "cannot make a usable file name from {name}",
    "models.hint_dest": "sdsetup models get <reference> --name model.safetensors",
    "models.bad_config": "cannot read {path}: {detail}",
    "models.hint_config": "fix or delete {path}",
    "models.need_type": "cannot tell from the name {name} what kind of model this is",
    "models.hint_type": "sdsetup models get <reference> --type checkpoint   (or lora, embedding, "
                        "vae, …)",
    "models.pickle_refused": "{name} is a pickle file (.ckpt/.pt/.bin), which can run code on your "
                             "computer when it is loaded; refused",
    "models.hint_allow_pickle": "prefer a .safetensors version (--file NAME); if you trust the "
                                "author: sdsetup models get <reference> --allow-pickle",
    "models.exists_different": "{path} already exists and is a different file; it was not touched",
    "models.hint_exists": "sdsetup models get <reference> --name <new name>   (or delete {path})",
    "models.no_models_dir": "no models folder at {path}",
    "models.hint_models_dir": "sdsetup models list --models-dir <A1111 folder>/models",
    "models.civitai_login_required": "Civitai requires a logged-in account to download {what} "
                                     "(401)",
    "models.civitai_token_rejected": "Civitai rejected the API key for {what} (401): it is wrong, "
                                     "expired or deleted",
    "models.hint_token": "create an API key at https://civitai.com/user/account (API Keys), then: "
                         "sdsetup models get <reference> --token <key>   (or set CIVITAI_TOKEN)",
    "models.civitai_downloads_disabled": "the creator has disabled downloads of {what}: it can "
                                         "only be used on Civitai's own generator",
    "models.civitai_early_access": "{what} is in Early Access until {deadline} (403): only "
                                   "supporters can download it before then",
    "models.hint_early_access": "try again after {deadline}, or buy early access on the model's "
                                "Civitai page",
    "models.civitai_forbidden": "Civitai refuses access to {what} (403): {detail}",
    "models.civitai_not_found": "Civitai has no {what} (404): wrong id, unpublished or deleted",
    "models.civitai_archived": "{what} is archived on Civitai and can no longer be downloaded (410)",
    "models.civitai_rate_limited": "Civitai keeps answering \"too many requests\" for {what} (429)",
    "models.hint_civitai_later": "wait a few minutes, then run the same command again",
    "models.civitai_server_error": "Civitai failed on {what} (HTTP {status}) several times",
    "models.civitai_refused": "Civitai refused {what} (HTTP {status}): {detail}",
    "models.hint_civitai_page": "open the model's page on civitai.com to check the version and "
                                "its files",
    "models.civitai_bad_answer": "Civitai's answer for {what} is not the expected JSON (a "
                                 "firewall or captcha page?)",
    "models.civitai_unreachable": "cannot reach the Civitai API at {host} ({detail})",
    "models.hint_civitai_proxy": "set HTTPS_PROXY to a proxy that reaches civitai.com, or "
                                 "SDSETUP_CIVITAI_URL to a Civitai proxy",
    "models.civitai_no_versions": "Civitai model {model} has no published version",
    "models.civitai_no_files": "version {version} lists no downloadable file (archived or still "
                               "being processed)",
    "models.civitai_no_such_file": "version {version} has no file {wanted}; its files: {files}",
    "models.hint_file_choice": "sdsetup models get <reference> --file <id or name from the list>",
    "models.bad_endpoint": "the {service} address {url}{origin} is not a usable URL: {reason}",
    "models.origin_env": " (from the environment variable {var})",
    "models.origin_mirror": " (from mirror {mirror})",
    "models.bad_url": "cannot send a request to {url}: not a usable URL ({detail})",
    "models.hint_endpoint": "correct the address (or unset the environment variable), or choose "
    "another mirror with --mirror",
    "models.bad_url_reference": "not a usable download URL: {reference} ({reason})",
    "models.hf_unreachable": "cannot reach the Hugging Face endpoint {host} ({detail})",
    "models.hint_hf_mirror": "sdsetup models get <reference> --mirror tuna   (through hf-mirror.com)",
    "models.hint_hf_official": "sdsetup models get <reference> --mirror default   (straight from "
                               "huggingface.co, without hf-mirror.com)",
    "models.hint_hf_env_mirror": "set {var}=https://hf-mirror.com, then run the same command again",
    "models.hint_hf_env_official": "set {var}=https://huggingface.co (the official hub, without "
                                   "hf-mirror.com), then run the same command again",
    "models.hf_gated": "{what} needs a Hugging Face login (gated or private repository)",
    "models.hint_hf_token": "accept the licence on the repository page, create a token at "
                            "https://huggingface.co/settings/tokens, then set HF_TOKEN=<token>",
    "models.hf_not_found": "Hugging Face has no file {what}",
    "models.hint_hf_check": "check the owner/repo, the path inside it and the revision",
    "models.hf_refused": "the Hugging Face endpoint refused {what} (HTTP {status})",
    "models.hf_no_repo": "Hugging Face has no model repository {what}",
    "models.hf_bad_answer": "the Hugging Face endpoint's file list for {what} is not the expected "
                            "JSON (a firewall or captcha page?)",
    "models.hf_not_a_folder": "{repo} has no config.json at its top: it is not a transformers "
                              "model folder (sdsetup fetches whole folders for BLIP and CLIP only)",
    "models.hf_no_safetensors": "{repo} has no .safetensors weights, only {found}; pickled weights "
                                "can run code when loaded and are not fetched",
    "models.hf_folder_kind": "{repo} is a {model_type} model; sdsetup places whole Hugging Face "
                             "folders only for {kinds} (what interrogate reads)",
    "models.hint_hf_one_file": "sdsetup models get hf:{repo}/<file>.safetensors   (one file of "
                               "the repository)",
    "models.file_with_folder": "--file picks a file of a Civitai version; hf:{repo} fetches the "
                               "repository's model folder",
    "models.hf_bad_json": "{path} is not JSON ({detail}): an error page from the endpoint?",
    "models.folder_installed": "placed {path}\n  {type}, {count} files, {size}, SHA-256 of the "
                               "weights checked",
    "models.folder_installed_unverified": "placed {path}\n  {type}, {count} files, {size}",
    "models.folder_already": "already installed: {path}\n  {type}, {count} files, {size}",
}

ZH: dict[str, str] = {
    "models.hint_redownload": "删除该文件后重新下载：sdsetup models get <引用>",
    "models.st_too_small": "{path} 不是 safetensors 文件：只有 {size} 字节",
    "models.st_text_page": "{path} 是文本或网页，不是模型（开头为：{snippet}）",
    "models.st_header_too_large": "{path} 不是 safetensors 文件：文件头长度 {length} 大得离谱",
    "models.st_header_truncated": "{path} 在文件头处被截断（声明文件头 {length} 字节，文件只有 {size} 字节）",
    "models.st_bad_json": "{path} 的 safetensors 文件头已损坏（{detail}）",
    "models.st_duplicate_name": "{path} 的文件头中张量 {name} 出现了两次",
    "models.st_bad_entry": "{path} 的文件头中张量 {name} 的条目已损坏",
    "models.st_bad_size": "{path}：张量 {name}（{dtype} {shape}）与其 {nbytes} 字节的数据大小不符",
    "models.st_bad_metadata": "{path} 的文件头元数据已损坏（值必须是文本）",
    "models.st_bad_offsets": "{path}：张量 {name} 从第 {start} 字节开始，应为 {expected}（数据有空隙或重叠）",
    "models.st_truncated": "{path} 不完整：只有 {size} / {expected} 字节（下载被中断）",
    "models.st_trailing": "{path} 数据末尾有多余字节：共 {size} 字节，应为 {expected}",
    "models.st_unreadable": "无法读取 {path}：{detail}",
    "models.not_gguf": "{path} 不是 GGUF 文件（文件标识不对）",
    "models.cmd_help": "下载、列出和校验模型文件（Civitai、Hugging Face 或任意链接）",
    "models.cmd_description": "按 AUTOMATIC1111 的目录结构管理模型：大模型放 models/Stable-diffusion，"
                              "LoRA 放 models/Lora，嵌入放 embeddings/，依此类推。用 --models-dir "
                              "可以直接管理已有 A1111 安装的 models 目录。",
    "models.get_help": "下载模型、校验并放到正确的目录",
    "models.get_description": "从 Civitai、Hugging Face 或任意链接断点续传下载模型，校验 SHA-256 "
                              "和文件格式，并连同元数据（<名称>.civitai.json）和预览图"
                              "（<名称>.preview.png）放进 A1111 目录结构。\n\n"
                              "支持的写法：\n"
                              "  https://civitai.com/models/4201/slug?modelVersionId=130072\n"
                              "  https://civitai.com/api/download/models/130072\n"
                              "  urn:air:sd1:checkpoint:civitai:4201@130072\n"
                              "  civitai:4201  或  civitai:4201@130072\n"
                              "  hf:owner/repo/path/file.safetensors[@revision]\n"
                              "  hf:owner/repo[@revision]   （整个 BLIP 或 CLIP 模型目录，供反推"
                              "提示词使用）\n"
                              "  https://example.org/any/file.safetensors",
    "models.opt_reference": "要下载的内容：Civitai 链接、AIR、civitai:ID[@版本]、hf:owner/repo/文件、"
                            "hf:owner/repo（模型目录）或网址",
    "models.opt_token": "Civitai API 密钥（未给出时依次读取 CIVITAI_TOKEN 和 config.toml 中的 "
                        "[civitai] token）；只发送给 Civitai API",
    "models.opt_file": "选择该版本中的哪个文件，按名称或 ID（默认：safetensors 权重，否则为主文件）",
    "models.opt_type": "按此类型放置，不管网站怎么标注：{types}；Hugging Face 模型目录可用：{folders}",
    "models.opt_dest": "改为放到这个目录",
    "models.opt_name": "以此文件名保存",
    "models.opt_allow_pickle": "允许 pickle 格式（.ckpt、.pt、.bin），这类文件加载时可以执行代码",
    "models.opt_mirror": "使用哪个镜像的 Civitai 和 Hugging Face 地址（见 sdsetup mirrors）",
    "models.opt_connections": "大文件的并行连接数",
    "models.opt_json_get": "以一个 JSON 对象输出结果",
    "models.opt_json_list": "以 JSON 输出结果",
    "models.opt_models_dir": "改用这个 A1111 models 目录，而不是 sdsetup 主目录里的",
    "models.list_help": "列出磁盘上的模型：类型、架构、大小、哈希和状态",
    "models.list_description": "列出 models 目录和 embeddings/ 下的模型文件，架构从各文件的文件头"
                               "读出，已知时显示 AutoV2 短哈希。",
    "models.verify_help": "重新计算所有模型的哈希，并与记录的 SHA-256 比对",
    "models.verify_description": "检查每个模型文件：文件格式，以及 SHA-256 是否与旁边记录的一致"
                                 "（<名称>.civitai.json，Hugging Face 文件则为 <名称>.sha256）。哈希按文件大小和修改时间缓存；--rehash 会重新读取"
                                 "所有文件。",
    "models.opt_rehash": "忽略缓存的哈希，重新读取所有文件",
    "models.installed": "已放置 {path}\n  {type}，{family}，{size}，SHA-256 已校验，AutoV2 {autov2}",
    "models.installed_unverified": "已放置 {path}\n  {type}，{family}，{size}，AutoV2 {autov2}"
                                   "（没有公布的 SHA-256 可供校验）",
    "models.hashing": "正在计算 {path} 的哈希（{size}）…",
    "models.fetching": "正在下载 {name}（{size}）到 {folder}",
    "models.fetching_unplaced": "正在下载 {name}（{size}）；下载后按其内容决定存放目录",
    "models.opt_progress": "即使标准错误输出不是终端也显示进度条（供前端使用）",
    "models.already_installed": "已经安装：{path}\n  {type}，{family}，{size}，AutoV2 {autov2}",
    "models.sidecar_written": "  + {path}",
    "models.warn_kind": "该文件看起来是 {detected}，但标注为 {declared}；已按 {declared} 放置"
                        "（可用 --type 更改）",
    "models.warn_family": "该文件的权重属于 {detected}，但 Civitai 标注为 {declared}；它无法与另一"
                          "系列的模型搭配使用",
    "models.warn_preview": "没有预览图：{detail}",
    "models.warn_unverified": "{name} 没有公布 SHA-256，无法校验其内容",
    "models.warn_unknown_kind": "无法判断 {name} 是哪类模型，已放到 models/Other（可用 --type 指定）",
    "models.col_name": "名称",
    "models.col_type": "类型",
    "models.col_arch": "架构",
    "models.col_size": "大小",
    "models.col_hash": "AUTOV2",
    "models.col_status": "状态",
    "models.status_ok": "正常",
    "models.status_broken": "已损坏",
    "models.status_mismatch": "哈希不符",
    "models.status_unchecked": "尚未校验",
    "models.status_unverified": "没有可比对的哈希",
    "models.family_unknown": "未知",
    "models.inpainting": "局部重绘",
    "models.type.checkpoint": "大模型",
    "models.type.lora": "LoRA",
    "models.type.embedding": "嵌入",
    "models.type.hypernetwork": "超网络",
    "models.type.vae": "VAE",
    "models.type.controlnet": "ControlNet",
    "models.type.upscaler": "放大模型",
    "models.type.motionmodule": "动作模块",
    "models.type.detection": "检测模型",
    "models.type.aestheticgradient": "美学梯度",
    "models.type.wildcards": "通配符",
    "models.type.textencoder": "文本编码器",
    "models.type.other": "其他",
    "models.type.blip": "BLIP 描述模型",
    "models.type.clip": "CLIP 模型",
    "models.none_found": "{path} 下没有模型文件",
    "models.list_unhashed": "有 {count} 个文件尚未计算哈希；请运行：sdsetup models verify",
    "models.verify_summary": "共检查 {total} 个文件，{bad} 个已损坏或被改动",
    "models.bad_reference": "无法识别的模型引用：{reference}",
    "models.hint_reference_forms": "请使用以下写法之一：https://civitai.com/models/ID?modelVersionId=版本"
                                   " | urn:air:sdxl:checkpoint:civitai:ID@版本 | civitai:ID[@版本]"
                                   " | hf:owner/repo/file.safetensors[@revision] | hf:owner/repo"
                                   " | https://主机/文件.safetensors",
    "models.bare_number": "只有数字 {number} 无法确定含义：是 Civitai 模型 ID 还是版本 ID？",
    "models.hint_bare_number": "sdsetup models get civitai:{number}   （按模型 ID；若是版本 ID 请写 "
                               "civitai:模型ID@{number}）",
    "models.bad_type": "未知的模型类型：{value}",
    "models.hint_type_list": "可选：{types}",
    "models.bad_connections": "--connections 必须大于等于 1，而不是 {value}",
    "models.hint_connections": "sdsetup models get <引用> --connections 4",
    "models.bad_file_name": "无法从 {name} 得到可用的文件名",
    "models.hint_dest": "sdsetup models get <引用> --name model.safetensors",
    "models.bad_config": "无法读取 {path}：{detail}",
    "models.hint_config": "修正或删除 {path}",
    "models.need_type": "无法从文件名 {name} 判断这是哪类模型",
    "models.hint_type": "sdsetup models get <引用> --type checkpoint   （或 lora、embedding、vae 等）",
    "models.pickle_refused": "{name} 是 pickle 文件（.ckpt/.pt/.bin），加载时可以在你的电脑上执行"
                             "代码，已拒绝",
    "models.hint_allow_pickle": "优先选择 .safetensors 版本（--file 名称）；如果信任作者：sdsetup "
                                "models get <引用> --allow-pickle",
    "models.exists_different": "{path} 已存在且是另一个文件，未做任何改动",
    "models.hint_exists": "sdsetup models get <引用> --name <新文件名>   （或删除 {path}）",
    "models.no_models_dir": "{path} 处没有 models 目录",
    "models.hint_models_dir": "sdsetup models list --models-dir <A1111 目录>/models",
    "models.civitai_login_required": "Civitai 要求登录账号才能下载 {what}（401）",
    "models.civitai_token_rejected": "Civitai 拒绝了用于 {what} 的 API 密钥（401）：密钥错误、已过期"
                                     "或已删除",
    "models.hint_token": "在 https://civitai.com/user/account 的 API Keys 处创建密钥，然后运行："
                         "sdsetup models get <引用> --token <密钥>   （或设置 CIVITAI_TOKEN）",
    "models.civitai_downloads_disabled": "作者已禁止下载 {what}：只能在 Civitai 自己的生成器上使用",
    "models.civitai_early_access": "{what} 处于抢先体验期，截止到 {deadline}（403）：在此之前只有"
                                   "赞助者可以下载",
    "models.hint_early_access": "请在 {deadline} 之后重试，或在该模型的 Civitai 页面购买抢先体验",
    "models.civitai_forbidden": "Civitai 拒绝访问 {what}（403）：{detail}",
    "models.civitai_not_found": "Civitai 上没有 {what}（404）：ID 错误、未发布或已删除",
    "models.civitai_archived": "{what} 已在 Civitai 上归档，无法再下载（410）",
    "models.civitai_rate_limited": "Civitai 对 {what} 一直返回“请求过多”（429）",
    "models.hint_civitai_later": "等几分钟后再运行同一命令",
    "models.civitai_server_error": "Civitai 处理 {what} 时多次出错（HTTP {status}）",
    "models.civitai_refused": "Civitai 拒绝了 {what}（HTTP {status}）：{detail}",
    "models.hint_civitai_page": "在 civitai.com 上打开该模型页面，核对版本及其文件",
    "models.civitai_bad_answer": "Civitai 对 {what} 的回应不是预期的 JSON（可能是防火墙或验证码页面）",
    "models.civitai_unreachable": "无法连接 {host} 上的 Civitai API（{detail}）",
    "models.hint_civitai_proxy": "把 HTTPS_PROXY 设为能访问 civitai.com 的代理，或把 "
                                 "SDSETUP_CIVITAI_URL 设为 Civitai 代理地址",
    "models.civitai_no_versions": "Civitai 模型 {model} 没有已发布的版本",
    "models.civitai_no_files": "版本 {version} 没有可下载的文件（已归档或仍在处理中）",
    "models.civitai_no_such_file": "版本 {version} 中没有文件 {wanted}；它的文件有：{files}",
    "models.hint_file_choice": "sdsetup models get <引用> --file <列表中的 ID 或名称>",
    "models.bad_endpoint": "{service} 地址 {url}{origin}不是可用的 URL：{reason}",
    "models.origin_env": "（来自环境变量 {var}）",
    "models.origin_mirror": "（来自镜像 {mirror}）",
    "models.bad_url": "无法向 {url} 发送请求：不是可用的 URL（{detail}）",
    "models.hint_endpoint": "请改正该地址（或取消该环境变量），或用 --mirror 换一个镜像",
    "models.bad_url_reference": "不是可用的下载地址：{reference}（{reason}）",
    "models.hf_unreachable": "无法连接 Hugging Face 地址 {host}（{detail}）",
    "models.hint_hf_mirror": "sdsetup models get <引用> --mirror tuna   （经由 hf-mirror.com）",
    "models.hint_hf_official": "sdsetup models get <引用> --mirror default   （直接从 huggingface.co "
                               "下载，不经过 hf-mirror.com）",
    "models.hint_hf_env_mirror": "设置 {var}=https://hf-mirror.com，然后重新运行同一命令",
    "models.hint_hf_env_official": "设置 {var}=https://huggingface.co（官方站点，不经过 "
                                   "hf-mirror.com），然后重新运行同一命令",
    "models.hf_gated": "{what} 需要登录 Hugging Face（受限或私有仓库）",
    "models.hint_hf_token": "先在仓库页面同意许可协议，在 https://huggingface.co/settings/tokens "
                            "创建令牌，然后设置 HF_TOKEN=<令牌>",
    "models.hf_not_found": "Hugging Face 上没有文件 {what}",
    "models.hint_hf_check": "请核对 owner/repo、仓库内的路径和版本（revision）",
    "models.hf_refused": "Hugging Face 地址拒绝了 {what}（HTTP {status}）",
    "models.hf_no_repo": "Hugging Face 上没有模型仓库 {what}",
    "models.hf_bad_answer": "Hugging Face 地址返回的 {what} 文件列表不是预期的 JSON（被防火墙或验证码页面拦截？）",
    "models.hf_not_a_folder": "{repo} 顶层没有 config.json，不是 transformers 模型目录（sdsetup 只整目录下载 "
                              "BLIP 和 CLIP）",
    "models.hf_no_safetensors": "{repo} 没有 .safetensors 权重，只有 {found}；pickle 权重加载时可以执行代码，不予下载",
    "models.hf_folder_kind": "{repo} 是 {model_type} 模型；sdsetup 只为 {kinds} 整目录下载 Hugging Face 模型"
                             "（反推提示词使用的模型）",
    "models.hint_hf_one_file": "sdsetup models get hf:{repo}/<文件>.safetensors   （只下载仓库中的一个文件）",
    "models.file_with_folder": "--file 用于选择 Civitai 版本中的文件；hf:{repo} 下载的是整个模型目录",
    "models.hf_bad_json": "{path} 不是 JSON（{detail}）：可能是下载地址返回的错误页面",
    "models.folder_installed": "已放置 {path}\n  {type}，{count} 个文件，{size}，权重的 SHA-256 已校验",
    "models.folder_installed_unverified": "已放置 {path}\n  {type}，{count} 个文件，{size}",
    "models.folder_already": "已经安装：{path}\n  {type}，{count} 个文件，{size}",
}
