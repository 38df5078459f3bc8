"""Messages of the CLI core. Keys are prefixed `core.`; both languages must be complete."""

EN: dict[str, str] = {
    "core.description": "Install, check and run Stable Diffusion, from the mirrors that work for you.",
    "core.opt_home": "folder for the managed env, download cache, models and outputs "
    "(env: SDSETUP_HOME)",
    "core.opt_lang": "language of messages: en or zh (default: from the locale)",
    "core.error_prefix": "error:",
    "core.hint_prefix": "hint:",
    "core.usage": "{message}",
    "core.hint_help": "{prog} -h",
    "core.interrupted": "interrupted; run the same command again to continue where it stopped",
    "core.warning_prefix": "warning:",
    "core.os_error": "{path}: {detail}",
    "core.hint_os_error": "check that {path} exists, is of the right kind (file or folder) and is "
    "writable, then run the command again",
}

ZH: dict[str, str] = {
    "core.description": "安装、检查并运行 Stable Diffusion，使用对你可用的镜像源。",
    "core.opt_home": "存放托管环境、下载缓存、模型和输出的目录（环境变量：SDSETUP_HOME）",
    "core.opt_lang": "消息语言：en 或 zh（默认跟随系统区域设置）",
    "core.error_prefix": "错误：",
    "core.hint_prefix": "提示：",
    "core.usage": "{message}",
    "core.hint_help": "{prog} -h",
    "core.interrupted": "已中断；再次运行同一命令即可从中断处继续",
    "core.warning_prefix": "警告：",
    "core.os_error": "{path}：{detail}",
    "core.hint_os_error": "请确认 {path} 存在、类型正确（文件或文件夹）且可写，然后重新运行该命令",
}
