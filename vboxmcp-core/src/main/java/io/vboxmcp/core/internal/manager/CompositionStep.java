package io.vboxmcp.core.internal.manager;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.LockResult;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.compose.Component;
import io.vboxmcp.core.internal.compose.ComposedFiles;
import io.vboxmcp.core.internal.compose.Composer;
import io.vboxmcp.core.internal.compose.Lockfile;
import io.vboxmcp.core.internal.compose.SourceFetcher;
import io.vboxmcp.core.internal.template.TemplateDocument;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link CreateStep#COMPOSE} step and {@code vboxmcp lock}: bases and features resolved through the manager's
 * sources and verified by its trust policy (through the deny records, like the template itself), the lockfile's
 * rules, the merged files; and the base image checked against the lockfile's pin after {@link CreateStep#IMAGE}.
 */
final class CompositionStep {
    /** What the step produced. */
    record Composed(Composer.Composition composition, Lockfile lock, Path templateDir) { }

    private final CreatePipeline.Parts p;

    CompositionStep(CreatePipeline.Parts parts) {
        this.p = parts;
    }

    /** compose: the request's lockfile, else the template's own {@code vboxmcp.lock}; undone by deleting its files. */
    Composed compose(CreateVmRequest request, Component root, Path work, Saga saga) throws VboxmcpException {
        Path own = root.directory().resolve(Lockfile.FILE_NAME);
        Lockfile lock = request.lockFile() != null ? Lockfile.read(request.lockFile())
                : Files.exists(own) ? Lockfile.read(own) : null;
        Path components = work.resolve("components");
        Path layered = work.resolve("composed");
        saga.onUndo("composed template files", () -> {
            AtomicFiles.deleteTree(components);
            AtomicFiles.deleteTree(layered);
        });
        Composer.Composition c = composer(components).compose(root, lock,
                request.frozen() ? Composer.Mode.FROZEN : Composer.Mode.LOCKED);
        if (request.frozen() && lock.image() != null && !lock.image().reference().equals(c.template().baseImage())) {
            throw new VboxmcpException(ErrorCode.CONFLICT, "the lockfile is outdated (frozen mode refuses to resolve "
                    + "otherwise); run 'vboxmcp update' to refresh it:\n  base image: " + c.template().baseImage()
                    + ", the lock has " + lock.image().reference());
        }
        Path dir = c.components().isEmpty() ? root.directory() : ComposedFiles.layer(c.order(), layered);
        return new Composed(c, lock, dir);
    }

    /** After the image step: the image must be the one the lockfile pins (same reference, same digest). */
    static void checkImage(Lockfile lock, BaseImage image) throws VboxmcpException {
        if (lock != null && lock.image() != null && lock.image().reference().equals(image.reference())
                && !lock.image().digest().equals(image.digest())) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "base image " + image.reference() + " has digest "
                    + image.digest() + " but the lockfile pins " + lock.image().digest());
        }
    }

    /** {@link io.vboxmcp.VmManager#lock}: resolve the folder's graph, pin the image, write {@code vboxmcp.lock}. */
    LockResult lock(Path folder, boolean update, Path work, ProgressListener progress) throws VboxmcpException {
        TemplateDocument doc = p.loader().loadDocument(folder);
        Path file = folder.resolve(Lockfile.FILE_NAME);
        Lockfile old = Files.exists(file) ? Lockfile.read(file) : null;
        Component root = new Component(doc.definition().name(), doc.definition().version(), Component.Role.ROOT,
                folder.toString(), null, null, doc, folder);
        Composer.Composition c = composer(work.resolve("components")).compose(root, old,
                update ? Composer.Mode.FRESH : Composer.Mode.LOCKED);
        List<String> notes = new ArrayList<>();
        Lockfile.Image image = null;
        try {
            image = new Lockfile.Image(c.template().baseImage(),
                    p.images().catalogDigest(c.template().baseImage(), progress));
        } catch (VboxmcpException e) {
            // a lock is still useful without the image pin; say so rather than fail
            notes.add("base image " + c.template().baseImage() + " not pinned: " + e.getMessage());
        }
        Lockfile now = new Lockfile(root.name(), image, c.resolved().entries());
        List<String> changes = new ArrayList<>(old == null ? List.of("new lockfile") : old.differences(now));
        changes.addAll(notes);
        String text = now.text();
        try {
            AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
        return new LockResult(file, text, changes);
    }

    private Composer composer(Path components) {
        SourceFetcher.Verifier verify = (sourceId, fetched, into) -> p.denies().guard("template.verify", sourceId,
                fetched.name() + "@" + fetched.version(), () -> p.trust().verify(fetched, into));
        return new Composer(new SourceFetcher(p.sources(), verify, p.loader(), components), p.loader());
    }

    static Component root(String sourceId, TemplateTrust.VerifiedTemplate verified, TemplateDocument doc) {
        return new Component(doc.definition().name(), doc.definition().version(), Component.Role.ROOT, sourceId,
                verified.manifestDigest(), verified.signer(), doc, verified.directory());
    }
}
