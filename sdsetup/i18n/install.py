"""Messages of the install domain. Keys are prefixed `install.`; both languages must be complete."""

EN: dict[str, str] = {
    # mirrors.toml and --mirror
    "install.mirrors_invalid": "{file}, line {line}, {where}: {problem}",
    "install.mirrors_invalid_nokey": "{file}, line {line}: {problem}",
    "install.mirrors_invalid_noline": "{file}, {where}: {problem}",
    "install.mirrors_invalid_noline_nokey": "{file}: {problem}",
    "install.hint_mirrors_file_noline": "fix {file}, then check it with: sdsetup mirrors",
    "install.bad_mirror_url": "--mirror {value} is not a usable URL: it needs a host and, if it "
    "names a port, a number from 1 to 65535",
    "install.hint_mirror_url": "sdsetup install --mirror http://HOST:PORT/simple",
    "install.mirrors_unreadable": "cannot read {file}: {detail}",
    "install.hint_mirrors_path": "point SDSETUP_MIRRORS at an existing file, then run: sdsetup mirrors",
    "install.hint_mirrors_file": "fix line {line} of {file}, then check it with: sdsetup mirrors",
    "install.problem_top_level": "unknown top-level key; every mirror goes in a [mirrors.NAME] table",
    "install.problem_table": "must be a table, e.g. [mirrors.mylab]",
    "install.problem_name": "mirror names use a-z, 0-9, - and _ (and 'auto' is reserved)",
    "install.problem_unknown_key": "unknown key; known keys: {known}",
    "install.problem_string": "must be a non-empty string",
    "install.problem_host_list": "must be a list of host names, e.g. [\"files.example.org\"]",
    "install.problem_layout": "must be one of: index, flat, lazy",
    "install.problem_url": "must be an http://, https:// or file:// URL",
    "install.problem_variant": "must contain {variant}, e.g. https://host/whl/{variant}/",
    "install.problem_missing": "missing; every mirror needs name_en and name_zh",
    "install.unknown_mirror": "unknown mirror '{name}'; known mirrors: {known}",
    "install.hint_list_mirrors": "sdsetup mirrors",
    "install.auto_not_probed": "no mirror has been probed yet, so 'auto' has nothing to remember",
    "install.hint_probe": "sdsetup mirrors --probe",
    "install.pip_config_unreadable": "cannot read how pip is configured here: {detail}",
    "install.pip_config_timeout": "pip did not answer within {seconds} s",
    "install.timed_out": "no answer within {seconds} s (stopped)",
    "install.hint_pip_config": "python -m pip config list",
    # sdsetup mirrors / --probe
    "install.cmd_mirrors": "list the known mirrors; --probe measures them and remembers the best",
    "install.opt_probe": "measure every mirror now (latency and a small ranged read) and remember "
    "the best per role for --mirror auto",
    "install.opt_json": "print JSON instead of a table",
    "install.opt_variant_probe": "torch variant whose wheel the probe reads (default: cpu)",
    "install.col_name": "name",
    "install.col_packages": "packages from",
    "install.col_torch": "torch from",
    "install.col_models": "models from",
    "install.col_description": "mirror",
    "install.from_pip_config": "the sources pip is set up with",
    "install.from_own_index": "its own package index",
    "install.torch_with_packages": "the same sources as packages",
    "install.torch_official": "the official PyTorch index",
    "install.torch_index": "its own PyTorch index",
    "install.torch_flat": "its own folder of PyTorch files",
    "install.torch_lazy": "fetched on demand (may be slow at first)",
    "install.role_packages": "packages",
    "install.role_torch": "torch",
    "install.role_models": "models",
    "install.probe_failed": "unreachable",
    "install.probe_miss": "bounced to {host}",
    "install.probe_chosen": "chosen: packages from {packages}, torch from {torch}, models from {models}; "
                            "remembered for --mirror auto only (a plain install still uses default)",
    "install.remembered": "--mirror auto uses: packages {packages}, torch {torch}, models {models} "
                          "(probed {since}; a plain install uses default; forget it: "
                          "sdsetup mirrors --forget)",
    "install.opt_forget": "forget the remembered probe result",
    "install.env_waiting": "waiting: another sdsetup process is installing into {env}",
    "install.forgot": "forgot the remembered probe result; --mirror auto will probe again",
    "install.nothing_to_forget": "no probe result is remembered",
    # index, lockfiles, plan, venv
    "install.index_api_version": "{url} speaks simple-API version {version}, newer than sdsetup "
    "understands",
    "install.index_unparsable": "cannot parse the package listing at {url}: {detail}",
    "install.index_unreachable": "cannot read the package listing at {url}: {detail}",
    "install.hint_other_mirror": "sdsetup install --mirror auto   (each kind of file from the "
    "mirror measured fastest; it measures first when nothing is remembered)",
    "install.hint_mirror_default": "sdsetup install --mirror default   (the sources pip is set up "
    "with)",
    "install.lock_malformed": "{file}, line {line}: not a pinned, hashed requirement: {detail}",
    "install.lock_unreadable": "cannot read the lockfile {file}: {detail}",
    "install.hint_lock": "check the path given to --lock (or leave --lock out to use the bundled "
    "lock); a broken bundled lock means a damaged sdsetup: reinstall it",
    "install.no_lock": "no lockfile for Python {python} on {platform}; locks exist for: {offered}",
    "install.no_torch_pin": "torch {release} has no pinned {variant} wheel for {python} on "
    "{platform}; variants pinned there: {offered}",
    "install.hint_variant": "sdsetup install --variant cpu",
    "install.no_runtime_lock": "the {variant} torch build on {platform} needs NVIDIA's runtime "
    "wheels, and no lock pins them for {python}; locked GPU builds there: {offered}",
    "install.hint_runtime": "sdsetup install --variant {suggestion}",
    "install.plan_missing": "{count} file(s) are not offered by any mirror ({mirrors}) for this "
    "Python and platform: {names}",
    "install.python_not_cpython": "{python} is {implementation}; the managed env needs CPython "
    "{supported}",
    "install.python_32bit": "{python} is a 32-bit Python; torch only exists for 64-bit Python",
    "install.python_version": "{python} is Python {version}; the managed env supports {supported}",
    "install.python_unusable": "cannot run {python}: {detail}",
    "install.hint_python": "sdsetup install --python /path/to/python3.11",
    "install.venv_failed": "could not create a virtual environment with {python}: {detail}",
    "install.env_busy": "cannot set the env at {env} aside to build the new one ({detail}); "
    "a program is probably still running from it, such as the web UI",
    "install.hint_env_busy": "stop `sdsetup run`, then run the same command again",
    "install.hint_venv": "sdsetup doctor",
    # install flow
    "install.no_variant": "no torch build fits this machine: {reasons}",
    "install.up_to_date": "the managed env at {env} already matches the lock; checking torch",
    "install.rebuilding": "the env matches the lock but torch in it does not work ({why}); "
    "building it again",
    "install.lazy_miss": "mirror {mirror} does not have torch cached yet and sends it on to {host}: "
    "counted as a miss, downloading through the redirect",
    "install.plan_summary": "{count} files to verify ({size} with known sizes) from: {mirrors}",
    "install.building": "building the env at {env} with Python {python} (the old one is kept "
    "until the new one works)",
    "install.installing": "installing the verified wheels offline with {installer}",
    "install.proving": "proving torch on {device}: import, a random tensor, a matrix product",
    "install.tofu": "no published sha256 for {file}; trusting this first verified download "
    "(sha256 {sha256}) and recording it in {record}",
    "install.not_in_lock": "{file} has sha256 {actual}, which the lock does not allow; refused",
    "install.local_missing": "{file} is not in the local mirror(s) {mirrors}",
    "install.no_uv": "--installer uv was asked for, but uv is not installed",
    "install.hint_no_uv": "sdsetup install --installer pip",
    "install.installer_failed": "{installer} could not install the locked wheels: {detail}",
    "install.runtime_unmet": "{file} requires {count} package(s) the locks do not provide: "
                             "{missing}; nothing was installed and the current env is unchanged",
    "install.hint_runtime_unmet": "sdsetup install --variant cpu   (or report this so the "
                                  "{variant} runtime lock is regenerated)",
    "install.wheel_no_metadata": "{file} is not a wheel with readable metadata: {detail}",
    "install.hint_report": "sdsetup doctor",
    "install.proof_failed": "the new env does not work as planned, so it was not kept (a previous "
    "env, if any, is back in place): {why}",
    "install.hint_doctor": "sdsetup doctor",
    "install.hint_install": "sdsetup install",
    "install.proof_import": "torch cannot be imported ({error})",
    "install.proof_version": "torch is {found}, but {expected} was planned",
    "install.proof_no_cuda": "torch cannot see a CUDA GPU: the NVIDIA driver is missing, too old "
    "for this build, or the GPU is not visible here ({error})",
    "install.proof_no_mps": "torch cannot use the Apple GPU (MPS); macOS 12.3 or newer is needed",
    "install.proof_tensor": "a small tensor computation on {device} failed: {error}",
    "install.check_config_ok": "{count} mirrors known (your file: {file})",
    "install.check_config_bundled": "{count} mirrors known (the bundled list; add your own in {file})",
    "install.check_lazy_miss": "mirror {mirror} bounced {count} download(s) to {host} instead of "
    "serving them from its cache",
    "install.export_empty": "the wheel cache {cache} is empty; install once to fill it",
    "install.exported": "wrote {files} wheels of {projects} projects ({size}) to {dest}; serve it "
    "with `python -m http.server -d {dest}` and install with --mirror http://HOST:8000/",
    # commands
    "install.cmd_install": "build the managed env: locked wheels from your mirror, torch proven",
    "install.desc_install": "Create or update the managed virtual environment: pick the torch "
    "build for this machine, download every locked wheel (sha256-checked, resumable, with "
    "failover between mirrors), install offline and prove that torch works.",
    "install.opt_mirror": "mirror name, 'auto', a URL or folder (PEP 503 index or wheelhouse), or "
    "several separated by commas in failover order (env: SDSETUP_MIRROR)",
    "install.opt_variant": "torch build: cpu, cu126, cu128, cu130, rocm…, xpu (default: detected; "
    "env: SDSETUP_TORCH_VARIANT)",
    "install.opt_python": "interpreter to build the env from (default: the one running sdsetup)",
    "install.opt_lock": "lockfile to use instead of the bundled one for this Python and platform; "
    "a torch.toml beside it, if any, pins torch",
    "install.opt_installer": "what installs the downloaded wheels: uv when present, else pip",
    "install.opt_dry_run": "only print the plan: every file, its size, its sha256 and where it "
    "comes from",
    "install.cmd_up": "install when needed, then start the web UI",
    "install.desc_up": "One command from nothing to a running UI: the same as `sdsetup install` "
    "(a no-op when the env is current), then `sdsetup run`.",
    "install.desc_mirrors": "Show every mirror sdsetup knows (bundled mirrors.toml plus yours) and "
    "what it serves. --probe measures them in parallel and remembers the best per role for "
    "--mirror auto.",
    "install.opt_names": "only these mirrors (names or URLs)",
    "install.cmd_mirror": "share the wheel cache as a mirror",
    "install.desc_mirror": "Tools for running your own mirror from sdsetup's cache.",
    "install.cmd_export": "write the wheel cache as a static PEP 503 index",
    "install.desc_export": "Write every cached wheel into DIR as a PEP 503 index (with sha256 "
    "fragments) that any web server or a USB disk can carry to other machines.",
    "install.opt_export_dir": "folder to write the index into",
    "install.plan_header": "plan: torch {torch} ({variant}) for Python {python} on {platform}",
    "install.plan_more": " (+{count} more)",
    "install.plan_sha_any": "one of the {count} the lock allows for this version",
    "install.plan_total": "{count} files, {size} ({unknown} of unknown size)",
    "install.done": "torch {torch} works on {device} in {env} ({fetched} files downloaded, "
    "installed by {installer}, {seconds} s)",
    "install.done_up_to_date": "torch {torch} works on {device} in {env}; nothing to do ({seconds} s)",
}

ZH: dict[str, str] = {
    "install.mirrors_invalid": "{file}，第 {line} 行，{where}：{problem}",
    "install.mirrors_invalid_nokey": "{file}，第 {line} 行：{problem}",
    "install.mirrors_invalid_noline": "{file}，{where}：{problem}",
    "install.mirrors_invalid_noline_nokey": "{file}：{problem}",
    "install.hint_mirrors_file_noline": "修改 {file}，然后用 sdsetup mirrors 检查",
    "install.bad_mirror_url": "--mirror {value} 不是可用的网址：需要主机名；如果写了端口，端口必须是 "
    "1 到 65535 之间的数字",
    "install.hint_mirror_url": "sdsetup install --mirror http://主机:端口/simple",
    "install.mirrors_unreadable": "无法读取 {file}：{detail}",
    "install.hint_mirrors_path": "让 SDSETUP_MIRRORS 指向一个存在的文件，然后运行：sdsetup mirrors",
    "install.hint_mirrors_file": "修改 {file} 的第 {line} 行，然后用此命令检查：sdsetup mirrors",
    "install.problem_top_level": "未知的顶层键；每个镜像都应写在 [mirrors.名称] 表中",
    "install.problem_table": "必须是一个表，例如 [mirrors.mylab]",
    "install.problem_name": "镜像名称只能包含 a-z、0-9、- 和 _（auto 为保留名称）",
    "install.problem_unknown_key": "未知的键；可用的键：{known}",
    "install.problem_string": "必须是非空字符串",
    "install.problem_host_list": "必须是主机名列表，例如 [\"files.example.org\"]",
    "install.problem_layout": "只能是 index、flat 或 lazy 之一",
    "install.problem_url": "必须是 http://、https:// 或 file:// 开头的地址",
    "install.problem_variant": "必须包含 {variant}，例如 https://host/whl/{variant}/",
    "install.problem_missing": "缺失；每个镜像都需要 name_en 和 name_zh",
    "install.unknown_mirror": "未知的镜像“{name}”；已知镜像：{known}",
    "install.hint_list_mirrors": "sdsetup mirrors",
    "install.auto_not_probed": "还没有测速过任何镜像，auto 无从选择",
    "install.hint_probe": "sdsetup mirrors --probe",
    "install.pip_config_unreadable": "无法读取本机 pip 的配置：{detail}",
    "install.pip_config_timeout": "pip 在 {seconds} 秒内没有响应",
    "install.timed_out": "{seconds} 秒内没有响应（已终止）",
    "install.hint_pip_config": "python -m pip config list",
    "install.cmd_mirrors": "列出已知镜像；加 --probe 可测速并记住最快的镜像",
    "install.opt_probe": "立即测试每个镜像（延迟和一次小范围读取），并按用途记住最快的，供 --mirror auto 使用",
    "install.opt_json": "以 JSON 格式输出，而不是表格",
    "install.opt_variant_probe": "测速时读取哪个 torch 变体的轮子（默认：cpu）",
    "install.col_name": "名称",
    "install.col_packages": "软件包来源",
    "install.col_torch": "torch 来源",
    "install.col_models": "模型来源",
    "install.col_description": "镜像",
    "install.from_pip_config": "本机 pip 设置的源",
    "install.from_own_index": "该镜像自己的软件包索引",
    "install.torch_with_packages": "与软件包相同的源",
    "install.torch_official": "PyTorch 官方源",
    "install.torch_index": "该镜像自己的 PyTorch 索引",
    "install.torch_flat": "该镜像自己的 PyTorch 文件目录",
    "install.torch_lazy": "按需从官方拉取（首次可能较慢）",
    "install.role_packages": "软件包",
    "install.role_torch": "torch",
    "install.role_models": "模型",
    "install.probe_failed": "无法连接",
    "install.probe_miss": "被重定向到 {host}",
    "install.probe_chosen": "已选择：软件包用 {packages}，torch 用 {torch}，模型用 {models}；"
                            "仅供 --mirror auto 使用（不加参数的安装仍用 default）",
    "install.remembered": "--mirror auto 当前使用：软件包 {packages}，torch {torch}，模型 {models}"
                          "（测速于 {since}；不加参数的安装仍用 default；忘掉它：sdsetup mirrors --forget）",
    "install.opt_forget": "忘掉记住的测速结果",
    "install.env_waiting": "等待中：另一个 sdsetup 进程正在安装到 {env}",
    "install.forgot": "已忘掉记住的测速结果；--mirror auto 会重新测速",
    "install.nothing_to_forget": "没有记住的测速结果",
    "install.index_api_version": "{url} 使用的 simple API 版本为 {version}，比 sdsetup 支持的更新",
    "install.index_unparsable": "无法解析 {url} 上的软件包列表：{detail}",
    "install.index_unreachable": "无法读取 {url} 上的软件包列表：{detail}",
    "install.hint_other_mirror": "sdsetup install --mirror auto   （每类文件用实测最快的镜像；"
    "没有记住的测速结果时先测速）",
    "install.hint_mirror_default": "sdsetup install --mirror default   （本机 pip 设置的源）",
    "install.lock_malformed": "{file}，第 {line} 行：不是固定版本并带哈希的依赖：{detail}",
    "install.lock_unreadable": "无法读取锁定文件 {file}：{detail}",
    "install.hint_lock": "检查 --lock 给出的路径（或去掉 --lock，使用自带的锁定文件）；"
    "如果是自带的锁定文件损坏，说明 sdsetup 安装不完整，请重新安装",
    "install.no_lock": "没有适用于 {platform} 上 Python {python} 的锁定文件；现有：{offered}",
    "install.no_torch_pin": "torch {release} 没有为 {platform} 上的 {python} 固定 {variant} 轮子；"
    "该平台已固定的变体：{offered}",
    "install.hint_variant": "sdsetup install --variant cpu",
    "install.no_runtime_lock": "{platform} 上的 {variant} torch 构建需要 NVIDIA 运行库轮子，"
    "但没有为 {python} 锁定它们；该平台已锁定的 GPU 构建：{offered}",
    "install.hint_runtime": "sdsetup install --variant {suggestion}",
    "install.plan_missing": "共 {count} 个文件在所有镜像（{mirrors}）上都找不到适用于此 Python 和平台的版本：{names}",
    "install.python_not_cpython": "{python} 是 {implementation}；托管环境需要 CPython {supported}",
    "install.python_32bit": "{python} 是 32 位 Python；torch 只支持 64 位 Python",
    "install.python_version": "{python} 的版本是 Python {version}；托管环境支持 {supported}",
    "install.python_unusable": "无法运行 {python}：{detail}",
    "install.hint_python": "sdsetup install --python /path/to/python3.11",
    "install.venv_failed": "无法用 {python} 创建虚拟环境：{detail}",
    "install.env_busy": "无法把 {env} 处的环境移到一旁以构建新环境（{detail}）；可能仍有程序在使用它，例如网页界面",
    "install.hint_env_busy": "先停止 `sdsetup run`，再运行同一命令",
    "install.hint_venv": "sdsetup doctor",
    "install.no_variant": "没有适合本机的 torch 版本：{reasons}",
    "install.up_to_date": "{env} 中的托管环境已与锁定文件一致；正在检查 torch",
    "install.rebuilding": "环境与锁定文件一致，但其中的 torch 无法工作（{why}）；正在重新构建",
    "install.lazy_miss": "镜像 {mirror} 尚未缓存 torch，把请求转给了 {host}：记为一次未命中，将通过重定向继续下载",
    "install.plan_summary": "共 {count} 个文件需要校验（已知大小合计 {size}），来源：{mirrors}",
    "install.building": "正在用 Python {python} 在 {env} 构建环境（新环境可用之前保留旧环境）",
    "install.installing": "正在用 {installer} 离线安装已校验的轮子",
    "install.proving": "正在 {device} 上验证 torch：导入、随机张量、矩阵乘法",
    "install.tofu": "{file} 没有公开的 sha256；信任这次首个校验完整的下载（sha256 {sha256}），并记录在 {record}",
    "install.not_in_lock": "{file} 的 sha256 为 {actual}，不在锁定文件允许的范围内，已拒绝",
    "install.local_missing": "本地镜像 {mirrors} 中没有 {file}",
    "install.no_uv": "指定了 --installer uv，但没有安装 uv",
    "install.hint_no_uv": "sdsetup install --installer pip",
    "install.installer_failed": "{installer} 无法安装锁定的轮子：{detail}",
    "install.runtime_unmet": "{file} 需要 {count} 个锁文件没有提供的包：{missing}；"
                             "没有安装任何东西，当前环境保持不变",
    "install.hint_runtime_unmet": "sdsetup install --variant cpu   （或报告此问题，以便重新生成 "
                                  "{variant} 运行库锁文件）",
    "install.wheel_no_metadata": "{file} 不是带有可读元数据的 wheel：{detail}",
    "install.hint_report": "sdsetup doctor",
    "install.proof_failed": "新环境未按计划工作，因此没有保留（如有原来的环境，已恢复原状）：{why}",
    "install.hint_doctor": "sdsetup doctor",
    "install.hint_install": "sdsetup install",
    "install.proof_import": "无法导入 torch（{error}）",
    "install.proof_version": "torch 版本是 {found}，计划安装的是 {expected}",
    "install.proof_no_cuda": "torch 找不到 CUDA 显卡：NVIDIA 驱动缺失、版本过旧不支持此构建，或此处看不到显卡（{error}）",
    "install.proof_no_mps": "torch 无法使用 Apple GPU（MPS）；需要 macOS 12.3 或更新版本",
    "install.proof_tensor": "在 {device} 上进行的小型张量计算失败：{error}",
    "install.check_config_ok": "已知 {count} 个镜像（你的配置文件：{file}）",
    "install.check_config_bundled": "已知 {count} 个镜像（内置列表；可在 {file} 中添加自己的镜像）",
    "install.check_lazy_miss": "镜像 {mirror} 有 {count} 次下载没有从缓存提供，而是转到了 {host}",
    "install.export_empty": "轮子缓存 {cache} 是空的；先安装一次即可填充",
    "install.exported": "已将 {projects} 个项目的 {files} 个轮子（{size}）写入 {dest}；"
    "可用 `python -m http.server -d {dest}` 提供服务，并用 --mirror http://HOST:8000/ 安装",
    "install.cmd_install": "构建托管环境：从你的镜像下载锁定的轮子，并验证 torch 可用",
    "install.desc_install": "创建或更新托管虚拟环境：为本机选择合适的 torch 构建，下载所有锁定的轮子"
    "（校验 sha256、支持断点续传、镜像间自动切换），离线安装，并验证 torch 能正常工作。",
    "install.opt_mirror": "镜像名称、auto、网址或文件夹（PEP 503 索引或轮子目录），"
    "也可用逗号分隔多个，按顺序故障切换（环境变量：SDSETUP_MIRROR）",
    "install.opt_variant": "torch 构建：cpu、cu126、cu128、cu130、rocm…、xpu（默认自动检测；"
    "环境变量：SDSETUP_TORCH_VARIANT）",
    "install.opt_python": "用来创建环境的解释器（默认：运行 sdsetup 的解释器）",
    "install.opt_lock": "使用此锁定文件，而不是为当前 Python 和平台内置的锁定文件；"
    "若同目录下有 torch.toml，则由它固定 torch",
    "install.opt_installer": "用什么安装下载好的轮子：有 uv 时用 uv，否则用 pip",
    "install.opt_dry_run": "只打印计划：每个文件、大小、sha256 及其来源",
    "install.cmd_up": "需要时先安装，然后启动网页界面",
    "install.desc_up": "一条命令从零到运行界面：等同于 `sdsetup install`（环境已是最新时不做任何事），"
    "然后执行 `sdsetup run`。",
    "install.desc_mirrors": "显示 sdsetup 已知的所有镜像（内置 mirrors.toml 加上你的配置）及其提供的内容。"
    "--probe 会并行测速，并按用途记住最快的镜像，供 --mirror auto 使用。",
    "install.opt_names": "只显示这些镜像（名称或网址）",
    "install.cmd_mirror": "把轮子缓存共享为镜像",
    "install.desc_mirror": "用 sdsetup 的缓存搭建你自己的镜像。",
    "install.cmd_export": "把轮子缓存导出为静态 PEP 503 索引",
    "install.desc_export": "把缓存中的所有轮子写入 DIR，生成带 sha256 片段的 PEP 503 索引，"
    "可由任意网页服务器提供，或用 U 盘带到其他机器上。",
    "install.opt_export_dir": "写入索引的文件夹",
    "install.plan_header": "计划：为 {platform} 上的 Python {python} 安装 torch {torch}（{variant}）",
    "install.plan_more": "（另有 {count} 个来源）",
    "install.plan_sha_any": "锁文件为该版本允许的 {count} 个哈希之一",
    "install.plan_total": "共 {count} 个文件，{size}（{unknown} 个大小未知）",
    "install.done": "torch {torch} 已在 {env} 中于 {device} 上正常工作（下载 {fetched} 个文件，"
    "由 {installer} 安装，用时 {seconds} 秒）",
    "install.done_up_to_date": "torch {torch} 已在 {env} 中于 {device} 上正常工作；无需任何操作（{seconds} 秒）",
}
