"""Messages of the download domain. Keys are prefixed `download.`; both languages must be complete."""

EN: dict[str, str] = {
    "download.help": "download a file, resumably and verified, from one or more mirrors",
    "download.description": (
        "Download one file. Several URLs are mirrors of the same file: pieces are spread over "
        "them and a failing mirror is skipped. Interrupted downloads continue where they "
        "stopped; the file appears at its final path only once it is complete (and verified "
        "when --sha256 is given). The final path is printed as the last line."
    ),
    "download.opt_urls": "URL of the file; more URLs are mirrors of the same file",
    "download.opt_output": "file or folder to save to (default: the URL's file name, here)",
    "download.opt_sha256": "expected sha256 (hex); the file is refused unless it matches",
    "download.opt_size": "expected size in bytes",
    "download.opt_connections": "connections for a large file (1-16, default {default})",
    "download.opt_quiet": "no progress bars",
    "download.bad_url": "not a usable http(s) URL: {url} ({reason})",
    "download.hint_url": "give a URL starting with https:// or http://, with a host name and, if "
    "any, a numeric port (https://host:8080/file)",
    "download.url_scheme": "it does not start with http:// or https://",
    "download.url_host": "it names no host",
    "download.url_port": "its port is not a number from 0 to 65535",
    "download.url_invalid": "it cannot be parsed as a URL",
    "download.dest_unwritable": "cannot write the download to {path}: {detail}",
    "download.hint_dest": "choose a destination in a folder you can write to (with -o, or --dest "
    "for models); a part of its path may be a file instead of a folder",
    "download.reason_bad_url": "redirected to an unusable URL",
    "download.bad_sha256": "--sha256 must be 64 hexadecimal characters, got: {value}",
    "download.hint_sha256": "copy the sha256 from the model or wheel page, e.g. sdsetup download "
    "URL --sha256 <64 hex characters>",
    "download.bad_number": "{option} must be a whole number in {low}..{high}, got: {value}",
    "download.all_failed": "could not download {dest}; every mirror failed:{reasons}",
    "download.one_failed": "could not download {dest}:{reasons}",
    "download.hint_unreachable": "check the address, the network and the proxy: sdsetup doctor",
    "download.http_status": "could not download {dest}: {url} answered HTTP {status}{reasons}",
    "download.size_mismatch": "could not download {dest}: the file has {actual} bytes, expected "
    "{expected}{reasons}",
    "download.hash_mismatch": (
        "{dest}: sha256 is {actual}, expected {expected}, twice; the file was removed. "
        "Served by: {mirrors}"
    ),
    "download.disk_full": (
        "not enough disk space for {path}: {needed} bytes needed, {free} free; the partial "
        "download is kept"
    ),
    "download.disk_full_removed": "the disk filled up while downloading {path} ({free} bytes free "
    "now); the partial download was removed, as it could not be resumed",
    "download.too_large": "the file system of {path} cannot hold a file of {size} bytes (FAT32 "
    "stops at 4 GiB); the partial download is kept",
    "download.hint_too_large": "save to a folder on an NTFS, exFAT or ext4 disk, e.g. with --home "
    "or -o",
    "download.waiting": "waiting: another sdsetup process is downloading {dest}",
    "download.hint_retry": "check the network and proxy with `sdsetup doctor`, then run the same "
    "command again: it continues where it stopped",
    "download.hint_hash": "check the expected sha256, or try another mirror: sdsetup mirrors",
    "download.hint_disk": "free some space (or use --home on a larger disk), then run the same "
    "command again",
    "download.reason_status": "HTTP {status}",
    "download.reason_encoding": "compressed response ({encoding}) where raw bytes were asked for",
    "download.reason_no_content_range": "partial response without Content-Range",
    "download.reason_size": "file size is {actual} bytes, expected {expected}",
    "download.reason_offset": "resumed at byte {got} instead of {wanted}",
    "download.reason_changed": "the file changed on the server; starting it again",
    "download.reason_no_ranges": "the server cannot resume (ignores Range)",
    "download.reason_redirects": "too many redirects",
    "download.reason_timeout": "timed out",
    "download.reason_network": "network error ({error})",
    "download.reason_stalled": "connection stalled",
    "download.reason_short": "connection closed early",
}

ZH: dict[str, str] = {
    "download.help": "从一个或多个镜像下载文件，支持断点续传并校验",
    "download.description": (
        "下载一个文件。多个 URL 视为同一文件的镜像：分块会分摊到各镜像，出错的镜像会被跳过。"
        "中断的下载会从断点继续；文件只有在完整下载（指定 --sha256 时还需校验通过）后才会出现在"
        "最终路径。最后一行输出文件的最终路径。"
    ),
    "download.opt_urls": "文件的 URL；多个 URL 视为同一文件的镜像",
    "download.opt_output": "保存到的文件或目录（默认：当前目录下 URL 中的文件名）",
    "download.opt_sha256": "期望的 sha256（十六进制）；不匹配则拒收文件",
    "download.opt_size": "期望的文件大小（字节）",
    "download.opt_connections": "大文件使用的连接数（1-16，默认 {default}）",
    "download.opt_quiet": "不显示进度条",
    "download.bad_url": "不是可用的 http(s) 地址：{url}（{reason}）",
    "download.hint_url": "请提供以 https:// 或 http:// 开头、包含主机名的 URL；如需端口，须为数字"
    "（https://host:8080/file）",
    "download.url_scheme": "它不是以 http:// 或 https:// 开头",
    "download.url_host": "缺少主机名",
    "download.url_port": "端口不是 0 到 65535 之间的数字",
    "download.url_invalid": "无法解析为 URL",
    "download.dest_unwritable": "无法将下载内容写入 {path}：{detail}",
    "download.hint_dest": "请选择一个有写入权限的目录作为保存位置（下载用 -o，模型用 --dest）；"
    "路径中的某一级可能是文件而不是目录",
    "download.reason_bad_url": "被重定向到一个无法使用的 URL",
    "download.bad_sha256": "--sha256 必须是 64 位十六进制字符，收到的是：{value}",
    "download.hint_sha256": "从模型或 wheel 页面复制 sha256，例如 sdsetup download URL --sha256 "
    "<64 位十六进制>",
    "download.bad_number": "{option} 必须是 {low}..{high} 之间的整数，收到的是：{value}",
    "download.all_failed": "无法下载 {dest}；所有镜像均失败：{reasons}",
    "download.one_failed": "无法下载 {dest}：{reasons}",
    "download.hint_unreachable": "请检查地址、网络和代理：sdsetup doctor",
    "download.http_status": "无法下载 {dest}：{url} 返回 HTTP {status}{reasons}",
    "download.size_mismatch": "无法下载 {dest}：文件大小为 {actual} 字节，应为 {expected} 字节{reasons}",
    "download.hash_mismatch": (
        "{dest}：sha256 为 {actual}，应为 {expected}，连续两次不符，文件已删除。"
        "提供数据的镜像：{mirrors}"
    ),
    "download.disk_full": "磁盘空间不足，无法保存 {path}：需要 {needed} 字节，仅剩 {free} 字节；"
    "已下载的部分会保留",
    "download.disk_full_removed": "下载 {path} 时磁盘已满（现剩 {free} 字节）；已下载的部分无法续传，"
    "已删除",
    "download.too_large": "{path} 所在的文件系统无法存放 {size} 字节的文件（FAT32 上限为 4 GiB）；"
    "已下载的部分会保留",
    "download.hint_too_large": "请保存到 NTFS、exFAT 或 ext4 磁盘上的目录，例如使用 --home 或 -o",
    "download.waiting": "等待中：另一个 sdsetup 进程正在下载 {dest}",
    "download.hint_retry": "用 `sdsetup doctor` 检查网络和代理设置，然后再次运行同一命令，会从断点继续",
    "download.hint_hash": "核对期望的 sha256，或换一个镜像：sdsetup mirrors",
    "download.hint_disk": "清理一些磁盘空间（或用 --home 指向更大的磁盘），然后再次运行同一命令",
    "download.reason_status": "HTTP {status}",
    "download.reason_encoding": "服务器返回了压缩内容（{encoding}），而请求的是原始字节",
    "download.reason_no_content_range": "部分响应缺少 Content-Range",
    "download.reason_size": "文件大小为 {actual} 字节，应为 {expected} 字节",
    "download.reason_offset": "续传从第 {got} 字节开始，而不是第 {wanted} 字节",
    "download.reason_changed": "服务器上的文件已变更，重新开始下载",
    "download.reason_no_ranges": "服务器不支持断点续传（忽略 Range）",
    "download.reason_redirects": "重定向次数过多",
    "download.reason_timeout": "连接超时",
    "download.reason_network": "网络错误（{error}）",
    "download.reason_stalled": "连接停滞",
    "download.reason_short": "连接提前关闭",
}
