package io.vboxmcp.core.internal.repo;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateInfo;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Templates in a folder, in the seed's layout: {@code <root>/<name>/template-definition.yaml} (one version) and
 * {@code <root>/<name>/<version>/template-definition.yaml} (several versions side by side). Used for the local
 * repository and for {@code file:} sources. Folders whose name starts with {@code .} are ignored (staging).
 */
public class DirectoryTemplateSource implements TemplateSource {
    protected final Path root;
    protected final TemplateLoader loader;
    private final SourceConfig config;

    public DirectoryTemplateSource(SourceConfig config, Path root, TemplateLoader loader) {
        this.config = config;
        this.root = root;
        this.loader = loader;
    }

    @Override
    public SourceConfig config() {
        return config;
    }

    @Override
    public boolean remote() {
        return false;
    }

    @Override
    public List<String> names() throws VboxmcpException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (TemplateRef.isValidName(n) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            throw io("list templates in " + root, e);
        }
        out.sort(null);
        return out;
    }

    /** @return version to folder for {@code name}, ascending */
    protected TreeMap<SemanticVersion, Path> folders(String name) throws VboxmcpException {
        TreeMap<SemanticVersion, Path> out = new TreeMap<>();
        if (!TemplateRef.isValidName(name)) {
            return out;
        }
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (SemanticVersion.isValid(n) && Files.isRegularFile(p.resolve(TemplateLoader.FILE_NAME))) {
                    out.put(SemanticVersion.parse(n), p);
                }
            }
        } catch (IOException e) {
            throw io("list versions of " + name, e);
        }
        Path single = dir.resolve(TemplateLoader.FILE_NAME);
        if (Files.isRegularFile(single, LinkOption.NOFOLLOW_LINKS)) {
            // the seed's one-version layout: the version is the one the document states
            TemplateDefinition d = loader.load(single);
            out.putIfAbsent(d.version(), dir);
        }
        return out;
    }

    @Override
    public List<SemanticVersion> versions(String name) throws VboxmcpException {
        return new ArrayList<>(folders(name).keySet());
    }

    @Override
    public List<TemplateInfo> describe() throws VboxmcpException {
        List<TemplateInfo> out = new ArrayList<>();
        for (String n : names()) {
            for (Map.Entry<SemanticVersion, Path> e : folders(n).entrySet()) {
                try {
                    TemplateDefinition d = loader.load(e.getValue().resolve(TemplateLoader.FILE_NAME));
                    out.add(new TemplateInfo(d.name(), d.version(), d.description(), d.metadata().tags(), config.id()));
                } catch (VboxmcpException invalid) {
                    // an invalid template is listed without description rather than hiding the others
                    out.add(new TemplateInfo(n, e.getKey(), "(invalid: " + invalid.getMessage().lines().findFirst().orElse("")
                            + ")", List.of(), config.id()));
                }
            }
        }
        out.sort(Comparator.comparing(TemplateInfo::name).thenComparing(TemplateInfo::version));
        return out;
    }

    @Override
    public FetchedTemplate fetch(String name, SemanticVersion version, Path workDir) throws VboxmcpException {
        Path dir = folders(name).get(version);
        if (dir == null) {
            throw new TemplateNotFoundException(ErrorCode.VERSION_NOT_FOUND, "template " + name + "@" + version
                    + " is not in source '" + config.id() + "'", null);
        }
        // verify and load a private copy, so the files cannot change between verification and use
        Path copy = workDir.resolve("fetched");
        try {
            AtomicFiles.copyTree(dir, copy, SafeExtractor.Limits.defaults().maxTotalBytes());
        } catch (IOException ex) {
            throw new VboxmcpException(ErrorCode.TEMPLATE_INVALID, "template folder " + dir + " cannot be used: "
                    + ex.getMessage(), ex);
        }
        if (dir.equals(root.resolve(name))) {
            removeNestedVersions(copy);
        }
        // signature files travel inside the folder; trust reads them from there
        return new FetchedTemplate(name, version, copy, List.of(), config.id(), remote(), "folder " + dir, null);
    }

    /** In the seed's one-version layout the template folder may also hold other versions' folders: not ours. */
    private static void removeNestedVersions(Path copy) throws VboxmcpException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(copy)) {
            for (Path p : ds) {
                if (Files.isDirectory(p) && SemanticVersion.isValid(p.getFileName().toString())) {
                    AtomicFiles.deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw io("prepare " + copy, e);
        }
    }

    static VboxmcpException io(String what, IOException e) {
        return new VboxmcpException(ErrorCode.IO, "could not " + what + ": " + e.getMessage(), e);
    }
}
