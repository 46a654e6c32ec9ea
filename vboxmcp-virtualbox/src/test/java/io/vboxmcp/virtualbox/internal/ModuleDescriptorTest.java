package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.spi.HypervisorDriverFactory;
import org.junit.jupiter.api.Test;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The driver as a JPMS application meets it: the compiled module and the api module in a fresh module layer (their
 * own class loader, nothing from the test's class or module path), the driver found through ServiceLoader, and
 * only the keys package exported.
 */
class ModuleDescriptorTest {
    @Test
    void moduleLayer_findsTheDriverThroughServiceLoaderAndHidesInternals() throws Exception {
        Path driver = location(VirtualBoxDriverFactory.class);
        Path api = location(HypervisorDriverFactory.class);
        ModuleFinder finder = ModuleFinder.of(driver, api);
        Configuration cf = ModuleLayer.boot().configuration().resolveAndBind(finder, ModuleFinder.of(),
                Set.of("io.vboxmcp.virtualbox"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());

        ModuleDescriptor descriptor = layer.findModule("io.vboxmcp.virtualbox").orElseThrow().getDescriptor();
        assertThat(descriptor.isAutomatic()).isFalse();
        assertThat(descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
                .containsExactly("io.vboxmcp.virtualbox");
        assertThat(descriptor.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
                .contains("io.vboxmcp.api");

        @SuppressWarnings("unchecked")
        Class<Object> service = (Class<Object>) layer.findLoader("io.vboxmcp.api")
                .loadClass(HypervisorDriverFactory.class.getName());
        assertThat(service).isNotSameAs(HypervisorDriverFactory.class);
        List<ServiceLoader.Provider<Object>> providers = ServiceLoader.load(layer, service).stream().toList();
        assertThat(providers).singleElement().satisfies(p -> {
            assertThat(p.type().getName()).isEqualTo(VirtualBoxDriverFactory.class.getName());
            assertThat(p.type().getModule().getName()).isEqualTo("io.vboxmcp.virtualbox");
            assertThat(service.getMethod("id").invoke(p.get())).isEqualTo("virtualbox");
        });
    }

    static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
