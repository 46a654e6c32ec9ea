package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.resolve.Resolver;
import io.vboxmcp.core.internal.plan.Planner;
import io.vboxmcp.core.internal.store.VmStore;
import java.util.Optional;

/**
 * The steps of a create, in order: the README's data path as a type. Each step's {@link #id()} is what progress
 * events and {@link io.vboxmcp.VboxmcpException#step()} carry. {@link #RESOLVE} … {@link #PLAN} also run for a dry
 * run ({@code plan}); the rest register undos that a failure runs in reverse order.
 */
enum CreateStep {
    /** Highest matching version across the sources ({@link Resolver}). */
    RESOLVE("resolve"),
    /** The version's files (folder or package) into a work folder, nothing extracted yet ({@code TemplateSource}). */
    FETCH("fetch"),
    /** Manifest digest and signatures against pinned keys ({@code TemplateTrust}). */
    VERIFY("verify"),
    /** YAML, schema, semantic checks; the document must name what the source delivered ({@code TemplateLoader}). */
    LOAD("load"),
    /**
     * Bases ({@code extends}) and features ({@code requires}) resolved, verified and merged, by the lockfile if there
     * is one ({@link CompositionStep} over {@code core.internal.compose.Composer}); undone by deleting their files.
     */
    COMPOSE("compose"),
    /** Which hypervisor driver runs it ({@link ProviderRegistry}). */
    DRIVER("driver"),
    /** Parameters, template minimums, policy and host capacity into a {@code VmPlan} ({@link Planner}). */
    PLAN("plan"),
    /** The verified base image from the catalogs and the cache ({@code ImageStore}). */
    IMAGE("image"),
    /** The VM's folder under the home ({@link VmStore}). */
    RESERVE("reserve"),
    /** A fresh SSH key pair for this VM ({@code SshKeys}). */
    KEYS("keys"),
    /** A clone of a matching ready snapshot instead of create → start → provision ({@link SnapshotSteps}). */
    RESTORE("restore"),
    /**
     * The clone's own host keys, machine id, hostname, authorized key, clock; its shared folders mounted
     * ({@link SnapshotSteps}).
     */
    IDENTITY("identity"),
    /** The machine on the driver ({@code HypervisorDriver.create}). */
    CREATE("create"),
    /** Power on ({@code HypervisorDriver.start}). */
    START("start"),
    /** SSH answers and cloud-init is done ({@link GuestReadiness}). */
    GUEST_READY("guest-ready"),
    /** Mirrors, environment, template files, shares, packages, scripts ({@code Provisioner}). */
    PROVISION("provision"),
    /**
     * A cold, provisioned machine saved as a ready snapshot (policy reuse or refresh; {@link SnapshotSteps}); never
     * fails the create.
     */
    SNAPSHOT("snapshot");

    private final String id;

    CreateStep(String id) {
        this.id = id;
    }

    /** @return the step's name in events and errors */
    String id() {
        return id;
    }

    /** @return the step an error names, if it names one of these */
    static Optional<CreateStep> of(String id) {
        for (CreateStep s : values()) {
            if (s.id.equals(id)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
