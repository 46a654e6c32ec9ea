package io.vboxmcp.cli.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.VboxmcpException;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The package-mirror options that {@code plan}, {@code create} and {@code mcp} share: where a guest's apt, pip and
 * npm go instead of the Internet (a superclass, not a mixin, like {@code VmCommands.VmOptions}, so that --help keeps
 * working). {@code mcp} needs them because an agent's create provisions packages like any other.
 */
abstract class MirrorOptions extends VboxmcpCommand.Sub {
    @Option(names = "--apt-mirror", paramLabel = "URL", description = "apt repository the guest uses instead of its "
            + "own sources (moved aside unless --keep-apt-sources); needs --apt-suite and --apt-key.")
    String aptMirror;

    @Option(names = "--apt-suite", paramLabel = "SUITE", split = ",", description = "Suite(s) of --apt-mirror "
            + "(bookworm,bookworm-updates).")
    List<String> aptSuites = new ArrayList<>();

    @Option(names = "--apt-components", paramLabel = "C", split = ",", description = "Components of --apt-mirror "
            + "(default: main).")
    List<String> aptComponents = new ArrayList<>();

    @Option(names = "--apt-key", paramLabel = "FILE", description = "OpenPGP public key (armored or binary) that "
            + "signs --apt-mirror's Release file.")
    Path aptKey;

    @Option(names = "--apt-allow-unsigned", description = "Trust --apt-mirror without a key (tests only).")
    boolean aptAllowUnsigned;

    @Option(names = "--keep-apt-sources", description = "Keep the guest's own apt sources next to --apt-mirror.")
    boolean keepAptSources;

    @Option(names = "--pip-index", paramLabel = "URL", description = "pip index (PEP 503 simple URL) the guest's pip "
            + "uses.")
    String pipIndex;

    @Option(names = "--pip-trusted-host", description = "Let pip use a plain-http --pip-index (trusted-host).")
    boolean pipTrustedHost;

    @Option(names = "--npm-registry", paramLabel = "URL", description = "npm registry the guest's npm uses.")
    String npmRegistry;

    /** @return the mirrors the options name, {@link PackageMirrors#NONE} if none */
    PackageMirrors mirrors() throws VboxmcpException {
        if (aptMirror == null && (!aptSuites.isEmpty() || !aptComponents.isEmpty() || aptKey != null
                || aptAllowUnsigned || keepAptSources)) {
            throw usage("--apt-suite, --apt-components, --apt-key, --apt-allow-unsigned and --keep-apt-sources "
                    + "need --apt-mirror");
        }
        if (pipTrustedHost && pipIndex == null) {
            throw usage("--pip-trusted-host needs --pip-index");
        }
        PackageMirrors.Builder b = PackageMirrors.builder();
        if (aptMirror != null) {
            if (aptSuites.isEmpty()) {
                throw usage("--apt-mirror needs --apt-suite");
            }
            byte[] key = aptKey == null ? null : readKey(aptKey);
            try {
                b.apt(new PackageMirrors.AptSource(PackageMirrors.parseUrl("apt mirror", aptMirror), aptSuites,
                        aptComponents.isEmpty() ? List.of("main") : aptComponents, key, aptAllowUnsigned));
            } catch (IllegalArgumentException e) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, e.getMessage());
            }
            b.disableDefaultAptSources(!keepAptSources);
        }
        if (pipIndex != null) {
            b.pipIndex(PackageMirrors.parseUrl("pip index", pipIndex)).pipTrustedHost(pipTrustedHost);
        }
        if (npmRegistry != null) {
            b.npmRegistry(PackageMirrors.parseUrl("npm registry", npmRegistry));
        }
        return b.build();
    }

    private static byte[] readKey(Path file) throws VboxmcpException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] key = in.readNBytes(PackageMirrors.MAX_KEY_BYTES + 1);
            if (key.length > PackageMirrors.MAX_KEY_BYTES) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "--apt-key " + file + " is larger than "
                        + PackageMirrors.MAX_KEY_BYTES + " bytes");
            }
            return key;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read --apt-key " + file, e);
        }
    }
}
