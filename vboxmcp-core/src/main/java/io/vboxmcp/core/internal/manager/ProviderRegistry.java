package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProviderProblem;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManagerConfig;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.SignatureVerifierFactory;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TemplateSourceFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Providers of one manager: explicitly registered ones first (they win over discovered ones with the same id),
 * then those found by {@link ServiceLoader}. A provider that fails to load or to probe is reported in
 * {@link #problems()} and skipped; it never breaks the others.
 */
final class ProviderRegistry {
    private final List<HypervisorDriverFactory> drivers;
    private final List<TemplateSourceFactory> sourceFactories;
    private final List<SignatureVerifierFactory> verifierFactories;
    private final List<ProviderProblem> problems = new CopyOnWriteArrayList<>();
    private final Map<String, HypervisorDriver> liveDrivers = new ConcurrentHashMap<>();
    private final Map<String, Optional<String>> availability = new ConcurrentHashMap<>();

    ProviderRegistry(VmManagerConfig config, ClassLoader loader) {
        drivers = merge(config.drivers(), config.discoverProviders() ? load(HypervisorDriverFactory.class, loader) : List.of(),
                HypervisorDriverFactory::id);
        sourceFactories = merge(config.sourceFactories(),
                config.discoverProviders() ? load(TemplateSourceFactory.class, loader) : List.of(), TemplateSourceFactory::id);
        verifierFactories = merge(config.verifierFactories(),
                config.discoverProviders() ? load(SignatureVerifierFactory.class, loader) : List.of(),
                SignatureVerifierFactory::format);
    }

    private <T> List<T> load(Class<T> type, ClassLoader loader) {
        List<T> found = new ArrayList<>();
        Iterator<ServiceLoader.Provider<T>> it = ServiceLoader.load(type, loader).stream().iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                ServiceLoader.Provider<T> p = it.next();
                try {
                    found.add(p.get());
                } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                    problems.add(new ProviderProblem(p.type().getName(), "could not be instantiated: " + e));
                }
            } catch (ServiceConfigurationError e) {
                problems.add(new ProviderProblem(type.getSimpleName(), "broken service registration: " + e.getMessage()));
            }
        }
        return found;
    }

    private static <T> List<T> merge(List<T> explicit, List<T> discovered, java.util.function.Function<T, String> id) {
        Map<String, T> byId = new LinkedHashMap<>();
        explicit.forEach(f -> byId.putIfAbsent(id.apply(f), f));
        discovered.forEach(f -> byId.putIfAbsent(id.apply(f), f));
        return List.copyOf(byId.values());
    }

    List<ProviderProblem> problems() {
        return List.copyOf(problems);
    }

    Map<String, SignatureVerifier> verifiers(ProviderContext ctx) {
        Map<String, SignatureVerifier> out = new LinkedHashMap<>();
        verifierFactories.stream().sorted(Comparator.comparingInt(SignatureVerifierFactory::priority).reversed())
                .forEach(f -> {
                    if (!out.containsKey(f.format())) {
                        try {
                            out.put(f.format(), f.create(ctx));
                        } catch (VboxmcpException | RuntimeException e) {
                            problems.add(new ProviderProblem(f.getClass().getName(), "verifier failed to start: " + e.getMessage()));
                        }
                    }
                });
        return out;
    }

    TemplateSource createSource(SourceConfig config, ProviderContext ctx) throws VboxmcpException {
        Optional<TemplateSourceFactory> f = sourceFactories.stream().filter(s -> {
            try {
                return s.supports(config.uri());
            } catch (RuntimeException e) {
                return false;
            }
        }).max(Comparator.comparingInt(TemplateSourceFactory::priority));
        if (f.isEmpty()) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "no template source supports '" + config.uri()
                    + "' (source '" + config.id() + "'); is vboxmcp-git on the class path?");
        }
        return f.get().create(config, ctx);
    }

    /** @return ids of drivers in preference order, each with the reason it is unavailable (empty if available) */
    Map<String, Optional<String>> driverAvailability(ProviderContext ctx) {
        Map<String, Optional<String>> out = new LinkedHashMap<>();
        drivers.stream().sorted(Comparator.comparingInt(HypervisorDriverFactory::priority).reversed())
                .forEach(f -> out.put(f.id(), availability.computeIfAbsent(f.id(), id -> probe(f, ctx))));
        return out;
    }

    private Optional<String> probe(HypervisorDriverFactory f, ProviderContext ctx) {
        try {
            return f.unavailableReason(ctx);
        } catch (RuntimeException | LinkageError e) {
            problems.add(new ProviderProblem(f.getClass().getName(), "availability probe failed: " + e));
            return Optional.of("probe failed: " + e.getMessage());
        }
    }

    /**
     * @param requested a driver id, or null for the best available one
     * @throws HypervisorException listing every driver and why it cannot run (testcontainers-style)
     */
    String chooseDriver(String requested, ProviderContext ctx) throws VboxmcpException {
        Map<String, Optional<String>> avail = driverAvailability(ctx);
        if (requested != null) {
            Optional<String> why = avail.get(requested);
            if (why == null) {
                throw new HypervisorException("no hypervisor driver '" + requested + "' (known: " + avail.keySet() + ")");
            }
            if (why.isPresent()) {
                throw new HypervisorException("hypervisor driver '" + requested + "' cannot run here: " + why.get());
            }
            return requested;
        }
        for (Map.Entry<String, Optional<String>> e : avail.entrySet()) {
            if (e.getValue().isEmpty()) {
                return e.getKey();
            }
        }
        StringBuilder why = new StringBuilder("no usable hypervisor driver");
        if (avail.isEmpty()) {
            why.append(": none on the class path (add vboxmcp-qemu or vboxmcp-virtualbox)");
        }
        avail.forEach((id, r) -> why.append("\n  ").append(id).append(": ").append(r.orElse("available")));
        throw new HypervisorException(why.toString());
    }

    HypervisorDriver driver(String id, ProviderContext ctx) throws VboxmcpException {
        HypervisorDriver d = liveDrivers.get(id);
        if (d != null) {
            return d;
        }
        synchronized (liveDrivers) {
            d = liveDrivers.get(id);
            if (d == null) {
                HypervisorDriverFactory f = drivers.stream().filter(x -> x.id().equals(id)).findFirst()
                        .orElseThrow(() -> new HypervisorException("no hypervisor driver '" + id + "'"));
                d = f.create(ctx);
                liveDrivers.put(id, d);
            }
            return d;
        }
    }

    void close() {
        for (HypervisorDriver d : liveDrivers.values()) {
            try {
                d.close();
            } catch (VboxmcpException | RuntimeException ignored) {
                // closing
            }
        }
        liveDrivers.clear();
    }
}
