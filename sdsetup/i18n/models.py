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
    "models.st_bad_entry": "{path} has a corrupt entry for tensor {name} in its header",
    "models.st_bad_size": "{path}: tensor {name} ({dtype} {shape}) does not fit its {nbytes} bytes",
    "models.st_bad_metadata": "{path} has corrupt metadata in its header (values must be text)",
    "models.st_bad_offsets": "{path}: tensor {name} starts at byte {start}, expected {expected} "
                             "(gaps or overlaps in the data)",
    "models.st_truncated": "{path} is incomplete: {size} bytes of {expected} (interrupted download)",
    "models.st_trailing": "{path} has extra bytes after the data: {size} bytes, expected {expected}",
    "models.st_unreadable": "cannot read {path}: {detail}",
}

ZH: dict[str, str] = {
    "models.hint_redownload": "删除该文件后重新下载：sdsetup models get <引用>",
    "models.st_too_small": "{path} 不是 safetensors 文件：只有 {size} 字节",
    "models.st_text_page": "{path} 是文本或网页，不是模型（开头为：{snippet}）",
    "models.st_header_too_large": "{path} 不是 safetensors 文件：文件头长度 {length} 大得离谱",
    "models.st_header_truncated": "{path} 在文件头处被截断（声明文件头 {length} 字节，文件只有 {size} 字节）",
    "models.st_bad_json": "{path} 的 safetensors 文件头已损坏（{detail}）",
    "models.st_bad_entry": "{path} 的文件头中张量 {name} 的条目已损坏",
    "models.st_bad_size": "{path}：张量 {name}（{dtype} {shape}）与其 {nbytes} 字节的数据大小不符",
    "models.st_bad_metadata": "{path} 的文件头元数据已损坏（值必须是文本）",
    "models.st_bad_offsets": "{path}：张量 {name} 从第 {start} 字节开始，应为 {expected}（数据有空隙或重叠）",
    "models.st_truncated": "{path} 不完整：只有 {size} / {expected} 字节（下载被中断）",
    "models.st_trailing": "{path} 数据末尾有多余字节：共 {size} 字节，应为 {expected}",
    "models.st_unreadable": "无法读取 {path}：{detail}",
}
