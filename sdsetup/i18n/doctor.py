"""Messages of the doctor domain. Keys are prefixed `doctor.`; both languages must be complete."""

EN: dict[str, str] = {
    # command line
    "doctor.help": "check this machine, pick the torch build, test the managed env",
    "doctor.description": "Checks the OS, Python, disk, proxies, pip and GPUs; picks the torch "
    "build that fits (with the reasons); and, when the managed env exists, proves its torch on "
    "the chosen device. Exits 1 when a check fails.",
    "doctor.opt_json": "print one JSON object instead of the table",
    "doctor.opt_log": "also diagnose a saved console log (A1111, pip, git…): known errors with "
    "their cause and fix",
    "doctor.opt_mirror": "the mirror(s) whose package, torch and model endpoints to show and "
    "check, as install would use them: a name from mirrors.toml, a URL or folder, or auto (probes "
    "the mirrors briefly when no choice is remembered)",
    "doctor.opt_variant": "torch variant to assume instead of detecting it: cpu, cu126, cu128, "
    "rocm6.4, xpu, … (env: SDSETUP_TORCH_VARIANT)",
    "doctor.variant_unknown": "unknown torch variant {variant!r} (from {source}); known: {known}",
    "doctor.hint_variant": "sdsetup doctor",
    "doctor.driver_env_invalid": "{var}={value!r} is not an NVIDIA driver version "
    "(expected e.g. 550.54.14)",
    "doctor.hint_driver_env": "{var}=550.54.14 sdsetup doctor",
    "doctor.log_unreadable": "cannot read the log {path}: {reason}",
    "doctor.hint_log": "sdsetup doctor --log console-log.txt",
    # report frame
    "doctor.title": "sdsetup doctor — home: {home}",
    "doctor.mark.ok": "ok",
    "doctor.mark.warn": "warn",
    "doctor.mark.fail": "FAIL",
    "doctor.fix_prefix": "fix:",
    "doctor.variant_heading": "torch: {variant} (torch {version}, device {device}), because:",
    "doctor.summary": "{failed} failed, {warned} warnings",
    # checks
    "doctor.check.platform": "{os} {arch}{wsl}",
    "doctor.check.python": "Python {version} (64-bit) at {path}",
    "doctor.check.python_32bit": "Python {version} is {bits}-bit; torch has no 32-bit wheels",
    "doctor.check.python_impl": "{impl} {version}: torch only publishes wheels for CPython",
    "doctor.check.python_store": "this is the Microsoft Store Python; its sandbox redirects "
    "writes and breaks virtual environments",
    "doctor.check.python_venv": "this Python cannot create virtual environments (venv or "
    "ensurepip is missing)",
    "doctor.check.disk": "{free} GB free at {path}",
    "doctor.check.disk_low": "only {free} GB free at {path}; {need} GB recommended (torch, the "
    "env and a few models)",
    "doctor.check.disk_unknown": "cannot tell the free space at {path}",
    "doctor.check.disk_system": "{path} is on the system drive, which fills up first",
    "doctor.check.home_non_ascii": "the home folder {path} has non-ASCII characters, which some "
    "native tools cannot open",
    "doctor.check.home_too_long": "the home folder path is {length} characters long and long "
    "paths are off; files deep in the env may pass Windows' 260-character limit",
    "doctor.check.home_onedrive": "the home folder {path} is inside OneDrive, whose syncing locks "
    "and offloads files the env needs",
    "doctor.check.git": "git {version}",
    "doctor.check.git_missing": "git not found (optional: only needed to fetch extensions)",
    "doctor.check.proxy": "{var}={url} answers",
    "doctor.check.proxy_dead": "{var}={url} does not answer; every download through it will "
    "fail",
    "doctor.check.proxy_bad": "{var}={url} is not a proxy address sdsetup can read",
    "doctor.check.pip": "pip index: {index}; find-links: {links}",
    "doctor.check.pip_unknown": "could not read pip's configuration (pip config list failed)",
    "doctor.check.probe_timeout": "{probe} did not answer in time and was stopped",
    "doctor.check.probe_garbage": "{probe} printed output sdsetup cannot read: {detail}",
    "doctor.check.probe_error": "{probe} failed: {detail}",
    "doctor.check.gpu_none": "no supported GPU found; torch will run on the CPU (slow: minutes "
    "per image)",
    "doctor.check.gpu": "{name}, {memory}{detail}",
    "doctor.check.gpu_vram": "{name} has only {memory} MiB of memory; SD 1.5 needs about 4 GB "
    "without offloading",
    "doctor.check.driver": "NVIDIA driver {driver}, supports CUDA up to {cuda} (from {source})",
    "doctor.check.mirror_chosen": "mirror {name}: packages from {packages}; torch from {torch}; "
    "models from {huggingface} (Hugging Face) and {civitai} (Civitai)",
    "doctor.check.mirror_unreachable": "the chosen source {host} cannot be reached ({error})",
    "doctor.check.variant": "torch build {variant}, torch {version}, device {device}",
    "doctor.check.variant_none": "no torch build fits this machine (planned: {variant})",
    "doctor.check.env_missing": "the managed env is not installed yet ({path})",
    "doctor.check.env_broken": "the managed env at {path} cannot import torch: {error}",
    "doctor.check.env": "managed env: Python {python}, torch {torch}, built for CUDA {cuda}",
    "doctor.check.env_variant": "the env has torch {have}; torch {want} fits this machine "
    "better",
    "doctor.check.env_device": "torch {torch} in the env cannot use the {device} device",
    "doctor.check.env_tensor": "torch.rand and a matmul work on {device}",
    "doctor.check.env_tensor_failed": "torch.rand/matmul failed on {device}: {error}",
    # fixes: one concrete action each
    "doctor.fix.python_64bit": "install 64-bit CPython 3.10–3.12 from python.org, then run "
    "sdsetup with it",
    "doctor.fix.python_store": "install Python from python.org and run: py -3.11 -m sdsetup "
    "install",
    "doctor.fix.python_venv": "sudo apt install python{minor}-venv",
    "doctor.fix.disk": "free some space, or put sdsetup on a larger disk: sdsetup --home "
    "D:\\sdsetup doctor",
    "doctor.fix.disk_system": "sdsetup --home D:\\sdsetup install (or set SDSETUP_HOME)",
    "doctor.fix.home_path": "sdsetup --home C:\\sd install (a short, ASCII-only folder)",
    "doctor.fix.long_paths": "as administrator: reg add HKLM\\SYSTEM\\CurrentControlSet\\Control\\"
    "FileSystem /v LongPathsEnabled /t REG_DWORD /d 1 /f (or: sdsetup --home C:\\sd install)",
    "doctor.fix.proxy_dead": "start the proxy app again, or clear the variable: unset {var} "
    "(Windows: set {var}=)",
    "doctor.fix.proxy_system": "start the proxy app again, or turn off the system proxy "
    "(Windows: Settings > Network & Internet > Proxy)",
    "doctor.fix.pip": "python -m pip config list",
    "doctor.fix.probe_nvidia": "nvidia-smi (if it hangs too, reinstall or update the NVIDIA "
    "driver and reboot)",
    "doctor.fix.probe": "run sdsetup doctor again; if {probe} keeps failing, report it",
    "doctor.fix.variant": "follow the reasons under \"torch\" below, or install for the CPU: "
    "sdsetup install --variant cpu",
    "doctor.fix.lowvram": "sdsetup run --lowvram",
    "doctor.fix.install": "sdsetup install",
    "doctor.fix.install_variant": "sdsetup install --variant {variant}",
    # reasons for the torch choice
    "doctor.reason.nvidia_found": "found {gpus}; driver {driver} supports CUDA up to "
    "{driver_cuda} (read from {source})",
    "doctor.reason.nvidia_driver_only": "NVIDIA driver {driver} supports CUDA up to "
    "{driver_cuda} (read from {source}); no GPU details are known",
    "doctor.reason.arch_unknown": "the GPU's compute capability is unknown, so the build's "
    "architecture list could not be checked",
    "doctor.reason.cuda_full": "{variant}: built with CUDA {cuda}, which the driver supports "
    "fully (up to {driver_cuda})",
    "doctor.reason.cuda_minor": "{variant}: built with CUDA {cuda}; the driver supports "
    "{driver_cuda}, so it runs through CUDA minor-version compatibility (driver >= {floor}); "
    "torch.compile/Triton need driver >= {full}",
    "doctor.reason.driver_too_old": "{variant} skipped: needs NVIDIA driver >= {need}, this "
    "machine has {driver}",
    "doctor.reason.arch_missing": "{variant} skipped: {gpu} ({sm}) is not among its compiled "
    "architectures ({archs})",
    "doctor.reason.older_release": "torch {version} chosen because no CUDA build of the newest "
    "supported torch, {newest}, runs here:",
    "doctor.reason.newest_needs": "to get torch {newest}, update the NVIDIA driver to >= {need}",
    "doctor.reason.update_driver": "driver {driver} is too old for every supported CUDA build: "
    "update the NVIDIA driver to >= {need}, or use --variant cpu",
    "doctor.reason.gpu_unsupported": "no supported torch build has kernels for this GPU; use "
    "--variant cpu",
    "doctor.reason.amd_not_linux": "{gpus}: torch publishes ROCm wheels for Linux only; using "
    "the CPU build",
    "doctor.reason.amd_unsupported": "{gpus}: no supported ROCm build covers this GPU; using the "
    "CPU build",
    "doctor.reason.rocm": "{variant}: {gpu} ({gfx}) is among the build's GPU targets",
    "doctor.reason.hsa_override": "{gfx} is not built for directly; it runs {sibling} kernels "
    "with HSA_OVERRIDE_GFX_VERSION={value}",
    "doctor.reason.xpu": "Intel GPU {gpu} found (sycl-ls): using the XPU build",
    "doctor.reason.mps": "Apple Silicon: the default macOS wheel uses the GPU through MPS",
    "doctor.reason.mac_cpu": "Intel Mac: the default macOS wheel runs on the CPU only",
    "doctor.reason.no_gpu": "no NVIDIA, AMD or Intel GPU found: using the CPU build",
    "doctor.reason.override": "{variant} requested with --variant or SDSETUP_TORCH_VARIANT",
    "doctor.reason.override_no_nvidia": "no NVIDIA GPU was detected, so {variant} will fall back "
    "to the CPU here",
    "doctor.reason.no_wheel": "no supported torch release publishes {variant} wheels for Python "
    "{python} on {platform}",
    "doctor.reason.python_32bit": "Python {python} is 32-bit; torch publishes 64-bit wheels only",
    "doctor.reason.no_release": "no supported torch release has wheels for Python {python} on "
    "{platform} (Python ranges: {ranges})",
    "doctor.reason.driver_below_installable": "driver {driver} runs only CUDA {cuda} builds; "
    "sdsetup installs torch {installs}, whose oldest CUDA build needs >= {need}: update the "
    "driver, or use --variant cpu",
    "doctor.reason.not_installable": "the best build for this hardware, torch {best}, is not one "
    "sdsetup installs for Python {python} on {platform} (it installs torch {installs})",
}

ZH: dict[str, str] = {
    "doctor.help": "检查本机环境，选择合适的 torch 版本，并测试托管环境",
    "doctor.description": "检查操作系统、Python、磁盘、代理、pip 和显卡；选出适合本机的 torch "
    "版本并说明原因；托管环境已安装时，在所选设备上实际验证其中的 torch。有检查失败时退出码为 1。",
    "doctor.opt_json": "输出一个 JSON 对象，而不是表格",
    "doctor.opt_log": "同时诊断保存下来的控制台日志（A1111、pip、git 等）：找出已知错误并给出原因和解决办法",
    "doctor.opt_mirror": "要显示并检查的镜像（与 install 使用方式相同）：mirrors.toml 中的名称、"
    "URL 或文件夹，或 auto（尚未记住选择时会快速测速各镜像）",
    "doctor.opt_variant": "指定 torch 版本类型而不自动检测：cpu、cu126、cu128、rocm6.4、xpu 等"
    "（环境变量：SDSETUP_TORCH_VARIANT）",
    "doctor.variant_unknown": "未知的 torch 版本类型 {variant!r}（来自 {source}）；可选值：{known}",
    "doctor.hint_variant": "sdsetup doctor",
    "doctor.driver_env_invalid": "{var}={value!r} 不是 NVIDIA 驱动版本号（应形如 550.54.14）",
    "doctor.hint_driver_env": "{var}=550.54.14 sdsetup doctor",
    "doctor.log_unreadable": "无法读取日志 {path}：{reason}",
    "doctor.hint_log": "sdsetup doctor --log console-log.txt",
    "doctor.title": "sdsetup 体检 — 主目录：{home}",
    "doctor.mark.ok": "正常",
    "doctor.mark.warn": "警告",
    "doctor.mark.fail": "失败",
    "doctor.fix_prefix": "解决：",
    "doctor.variant_heading": "torch：{variant}（torch {version}，设备 {device}），原因：",
    "doctor.summary": "{failed} 项失败，{warned} 项警告",
    "doctor.check.platform": "{os} {arch}{wsl}",
    "doctor.check.python": "Python {version}（64 位），位于 {path}",
    "doctor.check.python_32bit": "Python {version} 是 {bits} 位的；torch 没有 32 位安装包",
    "doctor.check.python_impl": "{impl} {version}：torch 只为 CPython 提供安装包",
    "doctor.check.python_store": "这是微软应用商店版 Python；它的沙盒会重定向写入，导致虚拟环境无法正常使用",
    "doctor.check.python_venv": "这个 Python 无法创建虚拟环境（缺少 venv 或 ensurepip）",
    "doctor.check.disk": "{path} 所在磁盘剩余 {free} GB",
    "doctor.check.disk_low": "{path} 所在磁盘只剩 {free} GB；建议至少 {need} GB（torch、运行环境和几个模型）",
    "doctor.check.disk_unknown": "无法获取 {path} 的剩余空间",
    "doctor.check.disk_system": "{path} 在系统盘上，系统盘往往最先被占满",
    "doctor.check.home_non_ascii": "主目录 {path} 含有非 ASCII 字符（如中文），部分原生工具无法打开这样的路径",
    "doctor.check.home_too_long": "主目录路径长达 {length} 个字符且未启用长路径；环境深处的文件可能超过 Windows 260 字符的路径上限",
    "doctor.check.home_onedrive": "主目录 {path} 位于 OneDrive 中，同步会锁定并移走环境所需的文件",
    "doctor.check.git": "git {version}",
    "doctor.check.git_missing": "未找到 git（可选：仅在获取扩展时需要）",
    "doctor.check.proxy": "{var}={url} 可以连通",
    "doctor.check.proxy_dead": "{var}={url} 无法连通；所有经由它的下载都会失败",
    "doctor.check.proxy_bad": "{var}={url} 不是 sdsetup 能识别的代理地址",
    "doctor.check.pip": "pip 索引：{index}；find-links：{links}",
    "doctor.check.pip_unknown": "无法读取 pip 配置（pip config list 执行失败）",
    "doctor.check.probe_timeout": "{probe} 未能及时响应，已被终止",
    "doctor.check.probe_garbage": "{probe} 的输出无法识别：{detail}",
    "doctor.check.probe_error": "{probe} 执行失败：{detail}",
    "doctor.check.gpu_none": "未发现受支持的显卡；torch 将在 CPU 上运行（很慢：每张图需要数分钟）",
    "doctor.check.gpu": "{name}，{memory}{detail}",
    "doctor.check.gpu_vram": "{name} 只有 {memory} MiB 显存；不开启显存卸载时 SD 1.5 需要约 4 GB",
    "doctor.check.driver": "NVIDIA 驱动 {driver}，最高支持 CUDA {cuda}（来自 {source}）",
    "doctor.check.mirror_chosen": "镜像 {name}：软件包来自 {packages}；torch 来自 {torch}；"
    "模型来自 {huggingface}（Hugging Face）和 {civitai}（Civitai）",
    "doctor.check.mirror_unreachable": "选定的源 {host} 无法连接（{error}）",
    "doctor.check.variant": "torch 版本类型 {variant}，torch {version}，设备 {device}",
    "doctor.check.variant_none": "没有适合本机的 torch 版本（原计划：{variant}）",
    "doctor.check.env_missing": "托管环境尚未安装（{path}）",
    "doctor.check.env_broken": "位于 {path} 的托管环境无法导入 torch：{error}",
    "doctor.check.env": "托管环境：Python {python}，torch {torch}，基于 CUDA {cuda} 构建",
    "doctor.check.env_variant": "环境中装的是 torch {have}；torch {want} 更适合本机",
    "doctor.check.env_device": "环境中的 torch {torch} 无法使用 {device} 设备",
    "doctor.check.env_tensor": "torch.rand 和矩阵乘法在 {device} 上运行正常",
    "doctor.check.env_tensor_failed": "torch.rand/矩阵乘法在 {device} 上失败：{error}",
    "doctor.fix.python_64bit": "从 python.org 安装 64 位 CPython 3.10–3.12，然后用它运行 sdsetup",
    "doctor.fix.python_store": "从 python.org 安装 Python，然后运行：py -3.11 -m sdsetup install",
    "doctor.fix.python_venv": "sudo apt install python{minor}-venv",
    "doctor.fix.disk": "清理一些空间，或把 sdsetup 放到更大的磁盘：sdsetup --home D:\\sdsetup doctor",
    "doctor.fix.disk_system": "sdsetup --home D:\\sdsetup install（或设置 SDSETUP_HOME）",
    "doctor.fix.home_path": "sdsetup --home C:\\sd install（使用简短、只含英文字母的目录）",
    "doctor.fix.long_paths": "以管理员身份运行：reg add HKLM\\SYSTEM\\CurrentControlSet\\Control\\"
    "FileSystem /v LongPathsEnabled /t REG_DWORD /d 1 /f（或：sdsetup --home C:\\sd install）",
    "doctor.fix.proxy_dead": "重新打开代理软件，或清除该变量：unset {var}（Windows：set {var}=）",
    "doctor.fix.proxy_system": "重新打开代理软件，或关闭系统代理（Windows：设置 > 网络和 Internet > 代理）",
    "doctor.fix.pip": "python -m pip config list",
    "doctor.fix.probe_nvidia": "nvidia-smi（如果它同样卡住，请重装或更新 NVIDIA 驱动并重启）",
    "doctor.fix.probe": "再次运行 sdsetup doctor；如果 {probe} 一直失败，请报告此问题",
    "doctor.fix.variant": "按下方“torch”部分的原因处理，或安装 CPU 版本：sdsetup install --variant cpu",
    "doctor.fix.lowvram": "sdsetup run --lowvram",
    "doctor.fix.install": "sdsetup install",
    "doctor.fix.install_variant": "sdsetup install --variant {variant}",
    "doctor.reason.nvidia_found": "发现 {gpus}；驱动 {driver} 最高支持 CUDA {driver_cuda}（读取自 {source}）",
    "doctor.reason.nvidia_driver_only": "NVIDIA 驱动 {driver} 最高支持 CUDA {driver_cuda}（读取自 {source}）；显卡详情未知",
    "doctor.reason.arch_unknown": "显卡的计算能力（compute capability）未知，无法核对版本中编译的架构列表",
    "doctor.reason.cuda_full": "{variant}：基于 CUDA {cuda} 构建，驱动完全支持（最高 {driver_cuda}）",
    "doctor.reason.cuda_minor": "{variant}：基于 CUDA {cuda} 构建；驱动支持到 {driver_cuda}，"
    "依靠 CUDA 次版本兼容运行（需驱动 >= {floor}）；torch.compile/Triton 需要驱动 >= {full}",
    "doctor.reason.driver_too_old": "跳过 {variant}：需要 NVIDIA 驱动 >= {need}，本机为 {driver}",
    "doctor.reason.arch_missing": "跳过 {variant}：{gpu}（{sm}）不在其编译的架构中（{archs}）",
    "doctor.reason.older_release": "选择 torch {version}，因为最新受支持的 torch {newest} 没有能在本机运行的 CUDA 版本：",
    "doctor.reason.newest_needs": "如需 torch {newest}，请将 NVIDIA 驱动更新到 >= {need}",
    "doctor.reason.update_driver": "驱动 {driver} 对所有受支持的 CUDA 版本都太旧：请将 NVIDIA "
    "驱动更新到 >= {need}，或使用 --variant cpu",
    "doctor.reason.gpu_unsupported": "没有任何受支持的 torch 版本包含这块显卡的内核；请使用 --variant cpu",
    "doctor.reason.amd_not_linux": "{gpus}：torch 只为 Linux 提供 ROCm 安装包；改用 CPU 版本",
    "doctor.reason.amd_unsupported": "{gpus}：没有受支持的 ROCm 版本覆盖这块显卡；改用 CPU 版本",
    "doctor.reason.rocm": "{variant}：{gpu}（{gfx}）在该版本支持的显卡架构中",
    "doctor.reason.hsa_override": "{gfx} 没有直接编译的内核；设置 HSA_OVERRIDE_GFX_VERSION={value} "
    "后可运行 {sibling} 的内核",
    "doctor.reason.xpu": "发现 Intel 显卡 {gpu}（sycl-ls）：使用 XPU 版本",
    "doctor.reason.mps": "Apple 芯片：macOS 默认安装包通过 MPS 使用 GPU",
    "doctor.reason.mac_cpu": "Intel 芯片的 Mac：macOS 默认安装包只能使用 CPU",
    "doctor.reason.no_gpu": "未发现 NVIDIA、AMD 或 Intel 显卡：使用 CPU 版本",
    "doctor.reason.override": "通过 --variant 或 SDSETUP_TORCH_VARIANT 指定了 {variant}",
    "doctor.reason.override_no_nvidia": "未检测到 NVIDIA 显卡，因此 {variant} 在本机只会退回到 CPU 运行",
    "doctor.reason.no_wheel": "没有受支持的 torch 版本为 {platform} 上的 Python {python} 提供 {variant} 安装包",
    "doctor.reason.python_32bit": "Python {python} 是 32 位的；torch 只提供 64 位安装包",
    "doctor.reason.driver_below_installable": "驱动 {driver} 只能运行 CUDA {cuda} 版本；"
    "sdsetup 安装的 torch {installs} 中最旧的 CUDA 版本需要驱动 >= {need}：请更新驱动，或使用 --variant cpu",
    "doctor.reason.not_installable": "最适合本机硬件的版本 torch {best} 不在 sdsetup 可为 "
    "{platform} 上的 Python {python} 安装的范围内（可安装：torch {installs}）",
    "doctor.reason.no_release": "没有受支持的 torch 版本为 {platform} 上的 Python {python} 提供安装包"
    "（各版本支持的 Python：{ranges}）",
}

# Log diagnosis (sdsetup.doctor.logdiag): cause, then fix, per rule id of doctor-failures.md.
_LOG_EN: dict[str, tuple[str, str]] = {
    "T1": ("torch cannot use the GPU: a CPU build, a missing driver, or a GPU torch does not "
           "support", "sdsetup install (it picks the torch build your GPU and driver can run)"),
    "T2": ("a CPU-only torch build is installed but the program asked for CUDA",
           "sdsetup install --variant cu126 (never add --skip-torch-cuda-test)"),
    "T3": ("{gpu} ({sm}) is not among the architectures this torch build was compiled for",
           "sdsetup install (it checks the GPU architecture; RTX 50 needs cu128 or newer)"),
    "T3K": ("the installed torch has no kernels for this GPU's architecture",
            "sdsetup install (it picks a build compiled for your GPU)"),
    "T4": ("the NVIDIA driver (CUDA {found}) is older than the CUDA this torch was built with",
           "update the NVIDIA driver, or: sdsetup install (it picks a build your driver runs)"),
    "T5": ("xFormers was built for torch {built} but torch {have} is installed",
           "pip uninstall xformers (torch's own attention is as fast)"),
    "T6": ("a module compiled for NumPy 1.x was loaded under NumPy 2",
           "pip install \"numpy<2\""),
    "T7": ("Windows could not load {dll}: the Visual C++ runtime is missing",
           "install the Microsoft Visual C++ Redistributable (x64), then retry"),
    "P1": ("pip found no {req} wheel for this Python: the pinned torch does not support it",
           "sdsetup install --python /path/to/python3.11 (sdsetup builds its own env from a "
           "Python that torch publishes wheels for)"),
    "P1B": ("the UI warns that this Python version is not the one it was tested with",
            "sdsetup install (it builds its env with a supported Python)"),
    "P2": ("this Python is 32-bit; torch has no 32-bit wheels",
           "install 64-bit Python from python.org"),
    "P3": ("building CLIP from source failed with the newest setuptools (no pkg_resources)",
           "pip install \"setuptools<70\" before installing CLIP"),
    "P4": ("pip's hash mode found an unpinned requirement (usually setuptools)",
           "pip-compile --generate-hashes --allow-unsafe"),
    "N1": ("a download timed out: the link is slow or the server stalled",
           "sdsetup install --mirror sjtu (resumable downloads from a nearby mirror)"),
    "N3": ("the connection dropped in the middle of a download",
           "sdsetup install (downloads resume where they stopped)"),
    "N4": ("pip gave up resuming a download that kept breaking",
           "sdsetup install (its downloads resume across runs)"),
    "N5": ("a downloaded file does not match its expected hash (usually a truncated download)",
           "sdsetup install --mirror sjtu (it re-fetches and verifies every file)"),
    "N6": ("TLS was cut off by a proxy or VPN",
           "turn the proxy/VPN off for mirror hosts, then retry"),
    "N7": ("the TLS certificate could not be verified (a corporate proxy CA or an old CA bundle)",
           "set SSL_CERT_FILE to your organisation's CA bundle (never disable verification)"),
    "N8": ("this Python was built without SSL support", "reinstall Python from python.org"),
    "N9": ("the system proxy is set as https://… which pip cannot use",
           "set HTTPS_PROXY=http://127.0.0.1:7890 (http:// scheme), or turn the system proxy off"),
    "N10": ("a proxy is configured but nothing listens there (the proxy app was closed)",
            "start the proxy app again, or clear the proxy variables: unset HTTP_PROXY HTTPS_PROXY "
            "ALL_PROXY (Windows: set HTTPS_PROXY=)"),
    "N11": ("a socks5:// proxy is set but socks support is not installed",
            "pip install \"httpx[socks]\""),
    "N12": ("a Hugging Face Xet transfer failed (Xet ignores HF_ENDPOINT)",
            "set HF_HUB_DISABLE_XET=1 and retry"),
    "N13": ("a Hugging Face download was truncated",
            "sdsetup models get hf:<repo>/<file> (verified, resumable)"),
    "G1": ("the upstream Stability-AI repository A1111 clones no longer exists",
           "set STABLE_DIFFUSION_REPO to a maintained fork, or use: sdsetup run"),
    "G2": ("GitHub cannot be reached from this network",
           "use a GitHub mirror/proxy, or: sdsetup run (no git needed)"),
    "G3": ("a git transfer was cut off mid-way", "retry; if it repeats: git config --global "
           "http.postBuffer 524288000"),
    "H1": ("the tokenizer {repo} could not be fetched from Hugging Face",
           "sdsetup run (its bundled configs need nothing from the Hub); to keep this UI, set "
           "HF_ENDPOINT to an endpoint that answers here: https://hf-mirror.com, or "
           "https://huggingface.co when the mirror is the one failing"),
    "H2": ("a model needed files from the Hub while offline (no local config)",
           "sdsetup run (it loads single-file checkpoints with bundled configs)"),
    "H5": ("LoRA loading needs the peft package", "pip install peft"),
    "M1": ("the model file is an error page (login required), not a model",
           "delete it, set a Civitai token, then: sdsetup models get <url>"),
    "M2": ("the .safetensors file is truncated or damaged",
           "sdsetup models get <url> (it resumes and checks the SHA256)"),
    "M3": ("the .ckpt file cannot be loaded safely (damaged, or not a plain checkpoint)",
           "download the .safetensors version: sdsetup models get <url>"),
    "U1": ("port {port} is already in use (another UI or a leftover process)",
           "sdsetup run --port 7861"),
}

_LOG_ZH: dict[str, tuple[str, str]] = {
    "T1": ("torch 无法使用显卡：装的是 CPU 版本、驱动缺失，或显卡不受该 torch 支持",
           "sdsetup install（它会选出你的显卡和驱动能运行的 torch 版本）"),
    "T2": ("安装的是仅支持 CPU 的 torch，但程序要求使用 CUDA",
           "sdsetup install --variant cu126（不要添加 --skip-torch-cuda-test）"),
    "T3": ("{gpu}（{sm}）不在此 torch 版本编译的架构之中",
           "sdsetup install（它会核对显卡架构；RTX 50 系需要 cu128 或更新版本）"),
    "T3K": ("已安装的 torch 没有适用于这块显卡架构的内核",
            "sdsetup install（它会选择为你的显卡编译的版本）"),
    "T4": ("NVIDIA 驱动（CUDA {found}）比此 torch 构建所用的 CUDA 旧",
           "更新 NVIDIA 驱动，或运行：sdsetup install（它会选择你的驱动能运行的版本）"),
    "T5": ("xFormers 是为 torch {built} 构建的，但当前安装的是 torch {have}",
           "pip uninstall xformers（torch 自带的注意力实现同样快）"),
    "T6": ("为 NumPy 1.x 编译的模块在 NumPy 2 下被加载", "pip install \"numpy<2\""),
    "T7": ("Windows 无法加载 {dll}：缺少 Visual C++ 运行库",
           "安装 Microsoft Visual C++ Redistributable（x64）后重试"),
    "P1": ("pip 找不到适用于当前 Python 的 {req} 安装包：固定的 torch 版本不支持这个 Python",
           "sdsetup install --python /path/to/python3.11（sdsetup 会用 torch 提供安装包的 Python "
           "创建自己的环境）"),
    "P1B": ("界面提示当前 Python 版本不是它测试过的版本",
            "sdsetup install（它会用受支持的 Python 创建环境）"),
    "P2": ("这个 Python 是 32 位的；torch 没有 32 位安装包", "从 python.org 安装 64 位 Python"),
    "P3": ("新版 setuptools 下从源码构建 CLIP 失败（没有 pkg_resources）",
           "先运行 pip install \"setuptools<70\" 再安装 CLIP"),
    "P4": ("pip 的哈希校验模式发现了未固定版本的依赖（通常是 setuptools）",
           "pip-compile --generate-hashes --allow-unsafe"),
    "N1": ("下载超时：网络太慢或服务器无响应",
           "sdsetup install --mirror sjtu（从就近镜像断点续传下载）"),
    "N3": ("下载过程中连接断开", "sdsetup install（下载会从中断处继续）"),
    "N4": ("下载反复中断，pip 放弃了续传", "sdsetup install（它的下载可跨多次运行续传）"),
    "N5": ("下载的文件与预期哈希不符（通常是下载不完整）",
           "sdsetup install --mirror sjtu（它会重新获取并校验每个文件）"),
    "N6": ("TLS 连接被代理或 VPN 中断", "对镜像站关闭代理/VPN 后重试"),
    "N7": ("无法验证 TLS 证书（公司代理的根证书或过旧的证书包）",
           "将 SSL_CERT_FILE 设为你单位的根证书包（切勿关闭证书验证）"),
    "N8": ("这个 Python 编译时没有 SSL 支持", "从 python.org 重新安装 Python"),
    "N9": ("系统代理被设置为 https://…，pip 无法使用",
           "设置 HTTPS_PROXY=http://127.0.0.1:7890（使用 http:// 开头），或关闭系统代理"),
    "N10": ("配置了代理，但该地址没有程序在监听（代理软件已关闭）",
            "重新打开代理软件，或清除代理变量：unset HTTP_PROXY HTTPS_PROXY ALL_PROXY"
            "（Windows：set HTTPS_PROXY=）"),
    "N11": ("设置了 socks5:// 代理，但没有安装 socks 支持", "pip install \"httpx[socks]\""),
    "N12": ("Hugging Face Xet 传输失败（Xet 不遵循 HF_ENDPOINT）", "设置 HF_HUB_DISABLE_XET=1 后重试"),
    "N13": ("Hugging Face 下载的文件不完整", "sdsetup models get hf:<repo>/<file>（带校验、可续传）"),
    "G1": ("A1111 要克隆的 Stability-AI 上游仓库已不存在",
           "将 STABLE_DIFFUSION_REPO 设为仍在维护的分叉，或使用：sdsetup run"),
    "G2": ("当前网络无法访问 GitHub", "使用 GitHub 镜像/代理，或使用：sdsetup run（无需 git）"),
    "G3": ("git 传输中途被切断", "重试；如果反复出现：git config --global http.postBuffer 524288000"),
    "H1": ("无法从 Hugging Face 获取分词器 {repo}",
           "sdsetup run（自带配置文件，无需访问 Hub）；若继续使用当前界面，请把 HF_ENDPOINT "
           "设为本机能访问的地址：https://hf-mirror.com；如果失败的正是该镜像，则设为 "
           "https://huggingface.co"),
    "H2": ("离线状态下模型需要从 Hub 获取文件（本地没有配置文件）",
           "sdsetup run（它用自带的配置加载单文件模型）"),
    "H5": ("加载 LoRA 需要 peft 包", "pip install peft"),
    "M1": ("模型文件其实是一个错误页面（需要登录），不是模型",
           "删除该文件，设置 Civitai 令牌后运行：sdsetup models get <url>"),
    "M2": (".safetensors 文件不完整或已损坏", "sdsetup models get <url>（断点续传并校验 SHA256）"),
    "M3": (".ckpt 文件无法安全加载（已损坏，或不是普通的模型文件）",
           "下载 .safetensors 版本：sdsetup models get <url>"),
    "U1": ("端口 {port} 已被占用（另一个界面或残留进程）", "sdsetup run --port 7861"),
}

for _table, _log, _line in ((EN, _LOG_EN, " (log line {line})"), (ZH, _LOG_ZH, "（日志第 {line} 行）")):
    for _id, (_cause, _fix) in _log.items():
        _table[f"doctor.log.{_id}.cause"] = _cause + _line
        _table[f"doctor.log.{_id}.fix"] = _fix
