package io.vboxmcp.core.internal.repo;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.archive.TemplateFiles;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.template.InstalledTemplate;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.template.TemplateRepository;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The local repository under {@code <home>/templates}: the seed's layout plus {@code <name>/<version>/} folders.
 * Installs are staged in {@code templates/.staging-*}, validated, then renamed into place under a repository
 * lock held across threads and processes; a failed or conflicting install leaves the repository as it was.
 */
public final class LocalRepository extends DirectoryTemplateSource implements TemplateRepository {
    public static final String SOURCE_ID = "local";
    private final Path lockFile;
    private final Duration lockTimeout;
    private final PackageUnpacker unpacker;
    private final SafeExtractor.Limits limits;
    private final InstallCheck check;

    /**
     * Turns a package file into a verified template folder inside a staging folder (implemented by trust).
     */
    @FunctionalInterface
    public interface PackageUnpacker {
        /** @return the folder holding the verified, extracted template, inside {@code staging} */
        Path unpack(Path packageFile, Path staging) throws VboxmcpException;
    }

    /**
     * The check a template must pass before it enters the repository: the same trust check as at use time, so the
     * repository never holds a template that {@code plan} or {@code create} would refuse (ART-09, ART-10).
     */
    @FunctionalInterface
    public interface InstallCheck {
        /**
         * @param dir        the staged copy about to be installed
         * @param definition its loaded definition (the name and version it will be installed and used under)
         * @throws VboxmcpException if use would refuse the template
         */
        void check(Path dir, TemplateDefinition definition) throws VboxmcpException;
    }

    /**
     * @param limits the caps folder installs get, the same as packages (ARC-13, ARC-14)
     * @param check  run on every staged template before it is moved into the repository
     */
    public LocalRepository(Path home, TemplateLoader loader, Duration lockTimeout, PackageUnpacker unpacker,
                           SafeExtractor.Limits limits, InstallCheck check) {
        super(new SourceConfig(SOURCE_ID, home.resolve("templates").toUri(), -1, Map.of()), home.resolve("templates"), loader);
        this.lockFile = home.resolve("locks").resolve("templates.lock");
        this.lockTimeout = lockTimeout;
        this.unpacker = unpacker;
        this.limits = limits;
        this.check = check;
    }

    @Override
    public List<TemplateInfo> list() throws VboxmcpException {
        return describe();
    }

    @Override
    public Optional<InstalledTemplate> get(String name, SemanticVersion version) throws VboxmcpException {
        Path dir = folders(name).get(version);
        if (dir == null) {
            return Optional.empty();
        }
        TemplateDefinition d = loader.load(dir.resolve(TemplateLoader.FILE_NAME));
        return Optional.of(new InstalledTemplate(d, dir, digestOf(d, dir)));
    }

    private static String digestOf(TemplateDefinition d, Path dir) throws VboxmcpException {
        return Manifest.compute(d.name(), d.version(), dir).digest();
    }

    @Override
    public InstalledTemplate install(Path source) throws VboxmcpException {
        if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "nothing to install at " + source);
        }
        Path staging = root.resolve(".staging-" + UUID.randomUUID());
        boolean rootExisted = Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS);
        try {
            Files.createDirectories(staging);
            Path dir;
            if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                // the file rules, the caps and the definition before a byte is copied; the copy is bounded too
                // (the folder may grow meanwhile) and is what gets verified
                TemplateFiles.check(source, limits);
                loader.load(source.resolve(TemplateLoader.FILE_NAME));
                dir = staging.resolve("t");
                try {
                    AtomicFiles.copyTree(source, dir, limits.maxTotalBytes());
                } catch (IOException e) {
                    throw new VboxmcpException(ErrorCode.TEMPLATE_INVALID, "cannot install " + source + ": " + e.getMessage(), e);
                }
                TemplateFiles.check(dir, limits);
            } else {
                dir = unpacker.unpack(source, staging);
            }
            TemplateDefinition d = loader.load(dir.resolve(TemplateLoader.FILE_NAME));
            check.check(dir, d);
            String digest = digestOf(d, dir);
            try (FileLocks.Held ignored = FileLocks.acquire(lockFile, lockTimeout, "the template repository")) {
                Path target = root.resolve(d.name()).resolve(d.version().toString());
                Optional<InstalledTemplate> existing = get(d.name(), d.version());
                if (existing.isPresent()) {
                    if (existing.get().manifestDigest().equals(digest)) {
                        return existing.get();
                    }
                    throw new VboxmcpException(ErrorCode.CONFLICT, "template " + d.coordinates() + " is already installed "
                            + "with different content (" + existing.get().manifestDigest() + " vs " + digest
                            + "); versions are immutable, publish a new version");
                }
                Files.createDirectories(target.getParent());
                try {
                    Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new VboxmcpException(ErrorCode.IO, "the repository's file system cannot rename atomically", e);
                }
                return new InstalledTemplate(d, target, digest);
            }
        } catch (IOException e) {
            throw io("install " + source, e);
        } finally {
            try {
                AtomicFiles.deleteTree(staging);
                if (!rootExisted) {
                    // a refused first install leaves the home as it was, not with an empty repository folder
                    try (var left = Files.list(root)) {
                        if (left.findAny().isEmpty()) Files.delete(root);
                    }
                }
            } catch (IOException ignored) {
                // a leftover staging folder is ignored by listings and removed by the next install
            }
        }
    }

    @Override
    public boolean remove(String name, SemanticVersion version) throws VboxmcpException {
        if (!TemplateRef.isValidName(name)) {
            return false;
        }
        try (FileLocks.Held ignored = FileLocks.acquire(lockFile, lockTimeout, "the template repository")) {
            boolean removed = false;
            for (Map.Entry<SemanticVersion, Path> e : folders(name).entrySet()) {
                if (version != null && !version.equals(e.getKey())) {
                    continue;
                }
                Path dir = e.getValue();
                if (dir.equals(root.resolve(name))) {
                    // seed layout: only the definition and files of that version live here
                    Path trash = root.resolve(".trash-" + UUID.randomUUID());
                    Files.createDirectories(trash);
                    try (var ds = Files.newDirectoryStream(dir)) {
                        for (Path p : ds) {
                            if (!SemanticVersion.isValid(p.getFileName().toString())) {
                                Files.move(p, trash.resolve(p.getFileName()));
                            }
                        }
                    }
                    AtomicFiles.deleteTree(trash);
                } else {
                    Path trash = root.resolve(".trash-" + UUID.randomUUID());
                    Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
                    AtomicFiles.deleteTree(trash);
                }
                removed = true;
            }
            Path nameDir = root.resolve(name);
            if (Files.isDirectory(nameDir)) {
                try (var ds = Files.list(nameDir)) {
                    if (ds.findAny().isEmpty()) {
                        Files.delete(nameDir);
                    }
                }
            }
            return removed;
        } catch (IOException e) {
            throw io("remove " + name, e);
        }
    }

}
