package io.vboxmcp.junit5.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmState;
import io.vboxmcp.junit5.TemplateVm;
import io.vboxmcp.junit5.VmTest;
import io.vboxmcp.junit5.Wait;
import io.vboxmcp.junit5.WaitStrategy;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The extension behind {@link VmTest}: creates the VMs of {@link TemplateVm} fields and parameters through the public
 * {@link VmManager} API, runs their wait strategies, attaches the console and the last provisioning output to the
 * report of a failed test, and destroys them after their class or test (see {@link VmRegistry} for early exits).
 */
public final class VmExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(VmExtension.class);
    private static final String VMS = "vms";
    /** Lines of provisioning output and console attached to a failed test's report. */
    static final int REPORT_LINES = 60;

    /** A VM the extension made, with what it printed while being provisioned. */
    record Handle(Vm vm, Deque<String> provisioning, boolean reuse) {
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Class<?> type = context.getRequiredTestClass();
        // static initializers first (they may set the home or catalogs), as plain field access would run them
        Class.forName(type.getName(), true, type.getClassLoader());
        for (Field f : fields(type, true)) {
            f.set(null, create(context, f.getAnnotation(TemplateVm.class), f.getName()).vm());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        destroy(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Field f : fields(instance.getClass(), false)) {
                f.set(instance, create(context, f.getAnnotation(TemplateVm.class), f.getName()).vm());
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (context.getExecutionException().isPresent()) {
            // the test's own VMs and those of its class: whatever it ran against
            for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
                for (Handle h : handles(c)) {
                    attach(context, h);
                }
            }
        }
        destroy(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.isAnnotated(TemplateVm.class) && p.getParameter().getType() == Vm.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        try {
            return create(e, p.findAnnotation(TemplateVm.class).orElseThrow(), p.getParameter().getName()).vm();
        } catch (Exception ex) {
            throw new ParameterResolutionException("could not create the VM for parameter "
                    + p.getParameter().getName() + ": " + ex.getMessage(), ex);
        }
    }

    private static List<Field> fields(Class<?> type, boolean statics) {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.isAnnotationPresent(TemplateVm.class) && Modifier.isStatic(f.getModifiers()) == statics) {
                    if (f.getType() != Vm.class || Modifier.isFinal(f.getModifiers())) {
                        throw new ExtensionConfigurationException("@TemplateVm field " + f + " must be a non-final "
                                + Vm.class.getName());
                    }
                    f.setAccessible(true);
                    out.add(f);
                }
            }
        }
        return out;
    }

    private Handle create(ExtensionContext context, TemplateVm spec, String what) throws Exception {
        VmRegistry registry = VmRegistry.get();
        VmManager manager = registry.manager(home(context));
        String name = spec.reuse() ? VmRegistry.REUSE_LABEL + reuseKey(spec) : registry.nextName();
        Deque<String> output = new ArrayDeque<>();
        Handle h = null;
        if (spec.reuse()) {
            Optional<Vm> existing = manager.vm(name);
            if (existing.isPresent() && existing.get().state() == VmState.RUNNING) {
                h = new Handle(existing.get(), output, true);
            } else if (existing.isPresent()) {
                existing.get().destroy();
            }
        }
        if (h == null) {
            CreateVmRequest.Builder b = CreateVmRequest.builder(name, TemplateRef.of(spec.template(),
                    spec.version().isEmpty() ? null : spec.version()));
            if (spec.memory() > 0) {
                b.memoryMb(spec.memory());
            }
            if (spec.cpus() > 0) {
                b.cpus(spec.cpus());
            }
            if (spec.diskSize() > 0) {
                b.diskSizeMb(spec.diskSize());
            }
            b.progress(e -> {
                if (e.kind() == ProgressEvent.Kind.OUTPUT) {
                    synchronized (output) {
                        output.addLast(e.step() + ": " + e.message());
                        if (output.size() > REPORT_LINES) {
                            output.removeFirst();
                        }
                    }
                }
            });
            Vm vm = manager.createFromTemplate(b.build());
            h = new Handle(vm, output, spec.reuse());
            if (!spec.reuse()) {
                registry.track(vm);
            }
        }
        handles(context).add(h);
        try {
            awaitReady(h.vm(), spec);
        } catch (Exception e) {
            context.publishReportEntry(Map.of("vboxmcp." + what + ".console", h.vm().consoleTail(REPORT_LINES)));
            throw e;
        }
        return h;
    }

    private static void awaitReady(Vm vm, TemplateVm spec) throws Exception {
        List<WaitStrategy> strategies = new ArrayList<>();
        Arrays.stream(spec.waitFor()).map(Wait::parse).forEach(strategies::add);
        for (Class<? extends WaitStrategy> c : spec.waitStrategies()) {
            strategies.add(c.getDeclaredConstructor().newInstance());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(spec.waitTimeoutSeconds()).toNanos();
        for (WaitStrategy w : strategies) {
            w.waitUntilReady(vm, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
    }

    private static Path home(ExtensionContext context) {
        VmTest t = context.getRequiredTestClass().getAnnotation(VmTest.class);
        String h = t != null && !t.home().isEmpty() ? t.home() : System.getProperty(VmTest.HOME_PROPERTY, "");
        return h.isBlank() ? null : Path.of(h).toAbsolutePath().normalize();
    }

    @SuppressWarnings("unchecked")
    private static List<Handle> handles(ExtensionContext context) {
        // a namespace per context: a store lookup falls back to the parent's, which would hand a test its class's VMs
        return context.getStore(NS.append(context.getUniqueId())).getOrComputeIfAbsent(VMS,
                k -> new ArrayList<Handle>(), List.class);
    }

    private static void attach(ExtensionContext context, Handle h) {
        String provisioning;
        synchronized (h.provisioning()) {
            provisioning = String.join("\n", h.provisioning());
        }
        context.publishReportEntry(Map.of(
                "vboxmcp." + h.vm().name() + ".console", h.vm().consoleTail(REPORT_LINES),
                "vboxmcp." + h.vm().name() + ".provisioning", provisioning));
    }

    /** Destroys the VMs made in this context (not reused ones); every one is tried, the first failure thrown. */
    private static void destroy(ExtensionContext context) throws VboxmcpException {
        List<Handle> list = handles(context);
        VboxmcpException first = null;
        for (Handle h : List.copyOf(list)) {
            if (!h.reuse()) {
                try {
                    VmRegistry.get().destroy(h.vm());
                } catch (VboxmcpException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
        }
        list.clear();
        if (first != null) {
            throw first;
        }
    }

    private static String reuseKey(TemplateVm spec) throws NoSuchAlgorithmException {
        String key = spec.template() + "|" + spec.version() + "|" + spec.memory() + "|" + spec.cpus() + "|"
                + spec.diskSize();
        byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d, 0, 6);
    }
}
