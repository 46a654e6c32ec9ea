package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.image.CatalogImage;
import io.vboxmcp.image.ImageCache;
import io.vboxmcp.image.ImageListing;
import io.vboxmcp.image.PruneResult;
import io.vboxmcp.image.ReadySnapshotInfo;
import io.vboxmcp.spi.BaseImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code images list|pull|prune}: the base images of the image catalogs and their cached files. */
@Command(name = "images", header = "List, pull and prune base images",
        description = "Base images from the image catalogs (--image-catalog or $VBOXMCP_IMAGE_CATALOG, then "
                + "<home>/images/catalog.json, then the built-in catalog unless VBOXMCP_IMAGE_CATALOG_DEFAULTS=false) "
                + "and their verified files in <home>/cache/images.",
        subcommands = {ImagesCommand.ListImages.class, ImagesCommand.Pull.class, ImagesCommand.Prune.class,
                ImagesCommand.Snapshots.class})
final class ImagesCommand extends VboxmcpCommand.Sub {
    @Override
    int run(Session s) {
        throw usage("missing subcommand: list, pull, prune or snapshots");
    }

    /** The option every images subcommand takes. */
    abstract static class ImagesSub extends VboxmcpCommand.Sub {
        @Option(names = "--image-catalog", paramLabel = "FILE|URL", description = "Image catalog consulted first "
                + "(repeatable; default $VBOXMCP_IMAGE_CATALOG).")
        List<String> catalogs = new ArrayList<>();

        ImageCache cache(Session s) throws VboxmcpException {
            List<String> uris = new ArrayList<>();
            for (String c : catalogs) {
                uris.add(c.matches("(?i)(file|https?):.*") ? c
                        : Path.of(c).toAbsolutePath().normalize().toUri().toString());
            }
            return s.manager(b -> {
                if (!uris.isEmpty()) {
                    b.property(CoreKeys.IMAGE_CATALOG, String.join(",", uris));
                }
            }).images();
        }
    }

    static String source(CatalogImage i) {
        if (i.catalog().equals(ImageCache.BUILTIN_CATALOG)) {
            return "built-in";
        }
        return "file".equals(i.catalog().getScheme()) ? Path.of(i.catalog()).toString() : i.catalog().toString();
    }

    @Command(name = "list", description = "Lists every base image of every catalog (the first catalog listing a "
            + "reference wins), with its firmware and whether its files are cached.")
    static final class ListImages extends ImagesSub {
        @Override
        int run(Session s) throws VboxmcpException {
            ImageListing l = cache(s).list();
            l.problems().forEach(p -> s.warn(p));
            String fmt = "%-20s %-8s %-7s %10s  %s";
            s.result(String.format(fmt, "REFERENCE", "FIRMWARE", "CACHED", "SIZE", "CATALOG"));
            ArrayNode a = Json.arr();
            for (CatalogImage i : l.images()) {
                s.result(String.format(fmt, i.reference(), i.firmware().name().toLowerCase(Locale.ROOT),
                        i.cached() ? "yes" : "no", i.cachedBytes() > 0 ? ProgressDisplay.bytes(i.cachedBytes()) : "-",
                        source(i)));
                a.add(Json.obj().put("reference", i.reference()).put("description", i.description())
                        .put("catalog", i.catalog().toString()).put("firmware", i.firmware().name().toLowerCase(Locale.ROOT))
                        .put("digest", i.digest()).put("cached", i.cached()).put("cachedBytes", i.cachedBytes()));
            }
            ArrayNode problems = Json.arr();
            l.problems().forEach(problems::add);
            ObjectNode doc = Json.obj();
            doc.set("images", a);
            doc.set("problems", problems);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "pull", description = "Downloads (resuming), verifies and caches a base image now, as the first "
            + "VM using it would.")
    static final class Pull extends ImagesSub {
        @Parameters(index = "0", paramLabel = "REFERENCE", description = "For example ubuntu:22.04.")
        String reference;

        @Override
        int run(Session s) throws Exception {
            ImageCache cache = cache(s);
            BaseImage img = s.step("image", reference, () -> cache.pull(reference, s.progress()));
            s.result("pulled " + img.reference() + " " + img.digest() + " (" + img.diskFormat() + ", "
                    + ProgressDisplay.bytes(java.nio.file.Files.size(img.disk())) + ") " + img.disk());
            ObjectNode doc = Json.obj().put("reference", img.reference()).put("digest", img.digest())
                    .put("format", img.diskFormat()).put("firmware", img.firmware().name().toLowerCase(Locale.ROOT))
                    .put("disk", img.disk().toString());
            if (img.kernel() != null) {
                doc.put("kernel", img.kernel().toString());
            }
            if (img.initrd() != null) {
                doc.put("initrd", img.initrd().toString());
            }
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "snapshots", description = "Lists the ready snapshots (provisioned VMs saved by 'create --snapshot "
            + "reuse|refresh') with their sizes, most recently used first.")
    static final class Snapshots extends VboxmcpCommand.Sub {
        @Override
        int run(Session s) throws VboxmcpException {
            String fmt = "%-12s %-28s %-10s %10s  %s";
            s.result(String.format(fmt, "KEY", "TEMPLATE", "DRIVER", "SIZE", "LAST USED"));
            ArrayNode a = Json.arr();
            for (ReadySnapshotInfo i : s.manager(b -> { }).readySnapshots().list()) {
                s.result(String.format(fmt, i.key().substring(0, 12), Session.safe(i.template()), Session.safe(i.driver()),
                        ProgressDisplay.bytes(i.bytes()), i.lastUsed().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
                a.add(Json.obj().put("key", i.key()).put("template", i.template()).put("driver", i.driver())
                        .put("bytes", i.bytes()).put("created", i.created().toString())
                        .put("lastUsed", i.lastUsed().toString()).put("dir", i.dir().toString()));
            }
            ObjectNode doc = Json.obj();
            doc.set("snapshots", a);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "prune", description = "Deletes cached images no catalog references and partial downloads "
            + "untouched for a day; with --all every cached image. Keeps images VMs still use; never follows links. "
            + "With --snapshots: ready snapshots instead (unfinished ones and the least recently used beyond "
            + "$VBOXMCP_SNAPSHOT_MAX_MB; with --all every one).")
    static final class Prune extends ImagesSub {
        @Option(names = "--all", description = "Delete every cached image, referenced or not.")
        boolean all;

        @Option(names = "--snapshots", description = "Prune ready snapshots rather than base images.")
        boolean snapshots;

        @Override
        int run(Session s) throws VboxmcpException {
            PruneResult r = snapshots ? s.manager(b -> { }).readySnapshots().prune(all) : cache(s).prune(all);
            ArrayNode removed = Json.arr();
            for (Path p : r.removed()) {
                s.say("removed " + p.getFileName());
                removed.add(p.toString());
            }
            ArrayNode kept = Json.arr();
            for (Path p : r.kept()) {
                s.say("kept " + p.getFileName() + " (in use)");
                kept.add(p.toString());
            }
            s.result("freed " + ProgressDisplay.bytes(r.freedBytes()) + " (" + r.removed().size() + " file"
                    + (r.removed().size() == 1 ? "" : "s") + ")");
            ObjectNode doc = Json.obj().put("freedBytes", r.freedBytes());
            doc.set("removed", removed);
            doc.set("kept", kept);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }
}
