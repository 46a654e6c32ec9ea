package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ExecResult;
import io.vboxmcp.VboxmcpException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where pip installs in the guest (docs/templates.md, "pip and PEP 668"). A guest whose {@code python3} is externally
 * managed (PEP 668: Debian 12, Ubuntu 23.04 and later) refuses a system-wide {@code pip install}, which is what the
 * seed template's script does. There, and only there, a virtual environment {@value #VENV} is made with
 * {@code --system-site-packages} (so the distribution's Python packages stay importable) and put first on the PATH of
 * scripts and of login shells, with {@code VIRTUAL_ENV} set; a {@code .pth} file in the system site directory makes
 * what pip installed importable by the plain {@code python3} too ({@code vm.exec}). It is made without pip
 * ({@code --without-pip}: ensurepip is slow under emulation) and its {@code pip} runs the guest's own pip module.
 * A guest whose python3 is not externally managed keeps the plain {@code python3 -m pip}; a guest without python3
 * pays one {@code command -v}.
 */
final class PythonEnv {
    static final String VENV = "/opt/vboxmcp/venv";
    static final String PROFILE = "/etc/profile.d/vboxmcp-venv.sh";
    /** The PATH of scripts when the venv is in use: the venv, then the usual system directories. */
    static final String PATH = VENV + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** What the guest's Python turned out to be. */
    enum Kind { NONE, SYSTEM, VENV }

    /** One guest script: reuse, detect, or make the venv; prints the kind. */
    static final String ENSURE = """
            V=%1$s
            if [ -x "$V/bin/python" ]; then echo VENV; exit 0; fi
            command -v python3 >/dev/null 2>&1 || { echo NONE; exit 0; }
            python3 -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 3)' || { echo SYSTEM; exit 0; }
            python3 -m venv --without-pip --system-site-packages "$V" || exit 1
            for p in pip pip3; do
              printf '#!/bin/sh\\nexec %%s/bin/python -m pip "$@"\\n' "$V" > "$V/bin/$p" && chmod 755 "$V/bin/$p" || exit 1
            done
            site=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))') || exit 1
            sys=$(python3 -c 'import site; print(site.getsitepackages()[0])') || exit 1
            mkdir -p "$sys" && echo "$site" > "$sys/vboxmcp-venv.pth" || exit 1
            cat > %2$s <<'PROFILE'
            # written by vboxmcp: pip installs into this virtual environment (python3 is externally managed, PEP 668)
            export VIRTUAL_ENV=%1$s
            case ":$PATH:" in *":%1$s/bin:"*) ;; *) PATH="%1$s/bin:$PATH"; export PATH ;; esac
            PROFILE
            chmod 644 %2$s && echo VENV
            """.formatted(VENV, PROFILE);

    private Kind kind;

    /**
     * Detects the guest's Python once and makes the venv if it is externally managed.
     *
     * @param item the item named if this fails (the pip group, or the script about to run)
     */
    Kind ensure(GuestSteps steps, String item) throws VboxmcpException {
        if (kind == null) {
            ExecResult r = steps.exec("python environment", ENSURE, null, null, Map.of(), GuestSteps.SHORT);
            if (r.exitCode() != 0) {
                throw GuestSteps.failure(item, r, "making the pip environment " + VENV + " for '" + item + "'");
            }
            String out = r.stdout().trim();
            String last = out.substring(out.lastIndexOf('\n') + 1).trim();
            kind = java.util.Arrays.stream(Kind.values()).filter(k -> k.name().equals(last)).findFirst()
                    .orElseThrow(() -> GuestSteps.failure(item, r, "the guest's answer about its python3 made no sense"));
        }
        return kind;
    }

    /** @return the environment of scripts (venv on PATH) on top of the template's */
    static Map<String, String> scriptEnvironment(Kind kind, Map<String, String> template) {
        Map<String, String> env = new LinkedHashMap<>();
        if (kind == Kind.VENV) {
            env.put("VIRTUAL_ENV", VENV);
            env.put("PATH", PATH);
        }
        env.putAll(template);
        return env;
    }

    /** @return the interpreter that runs pip for the {@code pip} group */
    static String python(Kind kind) {
        return kind == Kind.VENV ? VENV + "/bin/python" : "python3";
    }
}
