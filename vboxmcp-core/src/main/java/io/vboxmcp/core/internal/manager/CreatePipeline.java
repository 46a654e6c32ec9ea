package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.resolve.Resolver;
import io.vboxmcp.core.internal.plan.Planner;
import io.vboxmcp.core.internal.store.VmStore;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.ResourceLimitException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Violation;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManagerConfig;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.VmStateException;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.core.internal.image.ImageStore;
import io.vboxmcp.core.internal.provision.Provisioner;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.core.internal.compose.Component;
import io.vboxmcp.core.internal.compose.Composer;
import io.vboxmcp.core.internal.template.TemplateDocument;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.TemplateDefinition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static io.vboxmcp.core.internal.manager.CreateStep.COMPOSE;
import static io.vboxmcp.core.internal.manager.CreateStep.CREATE;
import static io.vboxmcp.core.internal.manager.CreateStep.DRIVER;
import static io.vboxmcp.core.internal.manager.CreateStep.FETCH;
import static io.vboxmcp.core.internal.manager.CreateStep.GUEST_READY;
import static io.vboxmcp.core.internal.manager.CreateStep.IMAGE;
import static io.vboxmcp.core.internal.manager.CreateStep.KEYS;
import static io.vboxmcp.core.internal.manager.CreateStep.LOAD;
import static io.vboxmcp.core.internal.manager.CreateStep.PLAN;
import static io.vboxmcp.core.internal.manager.CreateStep.PROVISION;
import static io.vboxmcp.core.internal.manager.CreateStep.RESERVE;
import static io.vboxmcp.core.internal.manager.CreateStep.RESOLVE;
import static io.vboxmcp.core.internal.manager.CreateStep.START;
import static io.vboxmcp.core.internal.manager.CreateStep.VERIFY;

/**
 * The create pipeline, one {@link CreateStep} after another as a {@link Saga}: every step that makes something
 * registers its undo, and any failure or interrupt runs the undos in reverse order; the error names the step.
 *
 * <pre>
 * resolve → fetch → verify → load → compose → driver → plan   ({@link #prepare}, also the dry run)
 *   → image → reserve → keys → create → start → guest-ready → provision [→ snapshot] → Vm
 *                             → restore → identity → guest-ready → Vm   (a clone of a matching ready snapshot)
 * </pre>
 */
final class CreatePipeline {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CreatePipeline.class);

    /** Everything the steps use; built once by the manager. */
    record Parts(VmManagerConfig config, CoreContext context, ProviderRegistry registry, TemplateLoader loader,
                 List<TemplateSource> sources, TemplateTrust trust, ImageStore images, VmStore store, Planner planner,
                 DenyRecords denies, AuditWriter audit, GuestReadiness readiness, SnapshotSteps snapshots) { }

    /** What the steps before any hypervisor work produced. */
    record Prepared(String sourceId, FetchedTemplate fetched, TemplateTrust.VerifiedTemplate verified,
                    CompositionStep.Composed composed, VmPlan plan) { }

    private final Parts p;
    private final DefaultVmManager manager;

    CreatePipeline(Parts parts, DefaultVmManager manager) {
        this.p = parts;
        this.manager = manager;
    }

    /** @return the compose step, also for {@code vboxmcp lock} */
    CompositionStep composition() {
        return new CompositionStep(p);
    }

    Vm create(CreateVmRequest request, ProgressListener progress) throws VboxmcpException {
        Saga saga = new Saga(progress, request.vmName());
        Path work = p.config().home().resolve("tmp").resolve(request.vmName() + "-" + UUID.randomUUID());
        VmStore store = p.store();
        Prepared prepared = null;
        SshGuestChannel channel = null;
        Machine machine = null;
        SshKeys.warmUp();
        try (FileLocks.Held ignored = lockForCreate(request.vmName())) {
            if (store.load(request.vmName()).isPresent() || Files.exists(store.dir(request.vmName()))) {
                throw new VmStateException(ErrorCode.VM_EXISTS, "a VM named '" + request.vmName() + "' already exists", null);
            }
            prepared = prepare(request, saga, work);
            VmPlan plan = prepared.plan();
            checkConcurrency();
            Prepared prep = prepared;
            BaseImage image = saga.step(IMAGE, () -> {
                BaseImage resolved = p.images().resolve(plan.template().baseImage(), progress);
                CompositionStep.checkImage(prep.composed().lock(), resolved);
                return resolved;
            });
            Path vmDir = saga.step(RESERVE, () -> store.reserve(request.vmName()));
            saga.onUndo("VM folder " + vmDir, () -> store.delete(request.vmName()));
            SshKeys.SshKeyPair keys = saga.step(KEYS, () -> SshKeys.generate(vmDir.resolve("ssh"),
                    "vboxmcp@" + request.vmName()));
            store.save(new VmStore.Record(plan.driverId(), plan, null, VmState.CREATING));
            HypervisorDriver d = p.registry().driver(plan.driverId(), p.context());
            MachineSpec spec = new MachineSpec(plan, vmDir, image, keys.publicKeyLine(), p.readiness().sshUser(),
                    UUID.randomUUID().toString(), progress);
            // a ready snapshot of everything this create would make: restore a clone instead of create → provision
            Optional<SnapshotSteps.Keyed> snapshot = p.snapshots().key(request, d, spec, p.config().packageMirrors());
            Optional<SnapshotSteps.Clone> clone = snapshot.isEmpty() ? Optional.empty()
                    : p.snapshots().restore(saga, snapshot.get(), d, spec, keys, c -> {
                        store.journal(request.vmName(), "MACHINE");
                        store.save(new VmStore.Record(plan.driverId(), plan, c, VmState.CREATING));
                    }, progress);
            SshGuestChannel early = clone.map(SnapshotSteps.Clone::channel).orElse(null);
            if (early != null) {
                saga.onUndo("SSH connection", early::close);
            }
            Machine m = clone.isPresent() ? clone.get().machine() : saga.step(CREATE, () -> d.create(spec));
            machine = m;
            saga.onUndo("machine " + m.name() + " on " + d.id(), () -> d.destroy(m));
            store.journal(request.vmName(), "MACHINE");
            store.save(new VmStore.Record(plan.driverId(), plan, m, VmState.CREATING));
            if (clone.isEmpty()) {
                saga.run(START, () -> d.start(m));
            }
            Duration readyTimeout = p.readiness().readyTimeout(request.readyTimeout());
            // a clone: cloud-init was done when saved, and the identity step has usually logged in with the VM's key
            // on the new pinned host key already
            channel = saga.step(GUEST_READY, () -> early != null ? early : clone.isPresent()
                    ? p.readiness().awaitSsh(request.vmName(), m, d, readyTimeout)
                    : p.readiness().await(request.vmName(), m, d, readyTimeout, progress));
            SshGuestChannel ch = channel;
            saga.onUndo("SSH connection", ch::close);
            if (clone.isEmpty()) {
                Duration scriptTimeout = Duration.ofSeconds(p.context().intConfig(CoreKeys.SCRIPT_TIMEOUT, 1800));
                Path templateDir = prepared.composed().templateDir();  // still there: `work` goes only after create
                saga.run(PROVISION, () -> new Provisioner(ch, progress, request.vmName(), scriptTimeout,
                        p.config().packageMirrors()).provision(plan, templateDir, f -> d.guestMountCommand(m, f)));
                if (snapshot.isPresent()) {
                    p.snapshots().save(saga, snapshot.get(), d, m, ch, plan, spec.sshUser(), keys, progress);
                }
            }
            store.save(new VmStore.Record(plan.driverId(), plan, m, VmState.RUNNING));
            audit(request, prepared, null);  // fails closed (AUD-07): before the commit
            store.journal(request.vmName(), "COMMIT");
            saga.commit();
            return new DefaultVm(manager, plan, m, d, channel);
        } catch (VboxmcpException | RuntimeException | Error e) {
            VboxmcpException typed = e instanceof VboxmcpException v ? v
                    : new VboxmcpException(ErrorCode.INTERNAL, "unexpected " + e, e).inStep(saga.currentStep());
            boolean inProvision = typed.step().flatMap(CreateStep::of).orElse(null) == PROVISION;
            if (request.keepOnFailure() && machine != null && inProvision) {
                keepFailed(request, prepared, machine, channel);
            } else {
                List<String> orphans = saga.rollback(typed);
                if (!orphans.isEmpty()) {
                    LOG.warn("VM '{}': could not release {}", request.vmName(), orphans);
                }
            }
            // a cancelled create (interrupt restored by the rollback) must still leave its record: the audit log's
            // lock wait is interruptible, so the flag is set aside while the record is written
            boolean interrupted = Thread.interrupted();
            try {
                audit(request, prepared, typed);
            } catch (VboxmcpException auditFailure) {
                typed.addSuppressed(auditFailure);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            if (e instanceof Error err) {
                throw err;
            }
            throw typed;
        } finally {
            try {
                AtomicFiles.deleteTree(work);
            } catch (IOException ignored) {
                // temporary files; the next start removes stale ones
            }
        }
    }

    /** resolve → fetch → verify → load → compose → driver → plan: everything before the hypervisor, for create and dry run. */
    Prepared prepare(CreateVmRequest request, Saga saga, Path work) throws VboxmcpException {
        Loaded l = load(request, saga, work);
        String driverId = saga.step(DRIVER, () -> p.registry().chooseDriver(
                request.driverId() != null ? request.driverId() : p.config().defaultDriver(), p.context()));
        Composer.Composition c = l.composed().composition();
        VmPlan plan = saga.step(PLAN, () -> p.planner().plan(request, c.template(), l.verified().manifestDigest(),
                l.verified().signer(), driverId, c.components().stream().map(Component::toApi).toList(), c.provenance()));
        return new Prepared(l.sourceId(), l.fetched(), l.verified(), l.composed(), plan);
    }

    /** What resolve → fetch → verify → load → compose produced: the composed template, not yet planned. */
    record Loaded(String sourceId, FetchedTemplate fetched, TemplateTrust.VerifiedTemplate verified,
                  CompositionStep.Composed composed) { }

    /** resolve → fetch → verify → load → compose; also {@link io.vboxmcp.VmManager#definition}. */
    Loaded load(CreateVmRequest request, Saga saga, Path work) throws VboxmcpException {
        Resolver.Resolution r = saga.step(RESOLVE, () -> new Resolver(p.sources()).resolve(request.template()));
        FetchedTemplate fetched = saga.step(FETCH, () -> {
            Files.createDirectories(work.resolve("fetch"));
            return r.source().fetch(request.template().name(), r.version(), work.resolve("fetch"));
        });
        // as a boundary call: a refusal names the source and template it came from in the deny record
        TemplateTrust.VerifiedTemplate verified = saga.step(VERIFY, () -> p.denies().guard("template.verify",
                r.source().config().id(), fetched.name() + "@" + fetched.version(),
                () -> p.trust().verify(fetched, work.resolve("verified"))));
        TemplateDocument doc = saga.step(LOAD, () -> loadMatching(verified.directory(), fetched));
        CompositionStep.Composed composed = saga.step(COMPOSE, () -> composition().compose(request,
                CompositionStep.root(r.source().config().id(), verified, doc), work, saga));
        return new Loaded(r.source().config().id(), fetched, verified, composed);
    }

    /** ART-09: the document must name the template and version the source delivered under. */
    private TemplateDocument loadMatching(Path dir, FetchedTemplate fetched) throws VboxmcpException {
        Path file = dir.resolve(TemplateLoader.FILE_NAME);
        TemplateDocument doc = p.loader().loadDocument(file);
        TemplateDefinition t = doc.definition();
        if (!t.name().equals(fetched.name()) || !t.version().equals(fetched.version())) {
            throw new TemplateValidationException(List.of(new Violation(file.toString(), 0, 0, "",
                    "the document says " + t.coordinates() + " but the source delivered it as " + fetched.name() + "@"
                            + fetched.version())));
        }
        return doc;
    }

    private FileLocks.Held lockForCreate(String name) throws VboxmcpException {
        if (!TemplateRef.isValidName(name)) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + name + "' is not a valid VM name: use lower-case "
                    + "letters, digits and '-', starting with a letter or digit, at most 63 characters");
        }
        return p.store().lock(name);
    }

    private void keepFailed(CreateVmRequest request, Prepared prepared, Machine machine, SshGuestChannel channel) {
        try {
            if (channel != null) {
                channel.close();
            }
            p.store().save(new VmStore.Record(prepared.plan().driverId(), prepared.plan(), machine, VmState.FAILED));
            p.store().journal(request.vmName(), "COMMIT FAILED");
        } catch (VboxmcpException e) {
            LOG.warn("could not record VM '{}' as failed: {}", request.vmName(), e.getMessage());
        }
    }

    private void checkConcurrency() throws VboxmcpException {
        int max = p.config().resourcePolicy().maxConcurrentVms();
        if (max > 0) {
            long existing = p.store().names().size();
            if (existing >= max) {
                throw new ResourceLimitException("the resource policy allows at most " + max + " VMs and " + existing
                        + " exist");
            }
        }
    }

    /** One record per create: ok, failed, or deny (a refusal, with the source that refused if resolution got that far). */
    private void audit(CreateVmRequest req, Prepared prep, VboxmcpException failure) throws VboxmcpException {
        boolean refused = failure != null && DenyRecords.isRefusal(failure);
        String refusingSource = failure == null ? null
                : p.denies().origin(failure).map(DenyRecords.Origin::source).orElse(null);
        p.audit().appendOrFail(new HashChainAuditLog.Event("vm.create",
                failure == null ? "ok" : refused ? DenyRecords.OUTCOME : "failed", HashChainAuditLog.fields(
                "vm", req.vmName(),
                "template", req.template().name(),
                "requested", req.template().range().toString(),
                "version", prep == null ? null : prep.fetched().version(),
                "source", prep == null ? refusingSource : prep.sourceId(),
                "digest", prep == null ? null : prep.verified().manifestDigest(),
                "signer", prep == null ? null : prep.verified().signer(),
                // what it was composed from, with each component's digest: the lockfile's content, in the log
                "components", prep == null || prep.plan().components().isEmpty() ? null : prep.plan().components()
                        .stream().map(c -> c.coordinates() + " " + c.manifestDigest())
                        .collect(java.util.stream.Collectors.joining(", ")),
                "driver", prep == null ? null : prep.plan().driverId(),
                "code", failure == null ? null : failure.code().name(),
                "step", failure == null ? null : failure.step().orElse(null),
                "reason", failure == null ? null : DenyRecords.redact(failure.getMessage()))));
    }
}
