package io.vboxmcp.examples;

import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.junit5.TemplateVm;
import io.vboxmcp.junit5.VmTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Using VMs in JUnit tests (docs/templates.md#using-vms-in-junit-tests): a VM for the whole class and one for a single
 * test, from the web-demo template on the busybox test guest. The static block points the extension at a home of the
 * build's with the test image's catalog and the template installed; a real project sets {@code vboxmcp.junit.home}
 * and {@code vboxmcp.image.catalog} (or nothing, for the user's home) in its build instead.
 */
@VmTest
@Tag("vm")
class WebDemoVmTest {
    static {
        try {
            // under target/, so "mvn clean" removes it (with the image copy in its cache)
            Path home = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "vboxmcp-junit-home-");
            System.setProperty(VmTest.HOME_PROPERTY, home.toString());
            System.setProperty("vboxmcp.image.catalog", ExamplesTest.catalog());
            try (VmManager m = VmManager.builder().home(home).build()) {
                m.templates().install(ExamplesTest.TEMPLATE);
            }
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One VM for every test of the class, ready once its web server answers. */
    @TemplateVm(template = "web-demo", version = "^1.0", memory = 256, waitFor = "http:8000/")
    static Vm web;

    @Test
    void classVm_servesTheGreetingOnItsForwardedPort() throws Exception {
        int port = web.hostPort(8000).orElseThrow();
        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.body().trim()).isEqualTo("hello from web-demo");
    }

    @Test
    void perTestVm_isFreshAndIndependentOfTheClassVm(@TemplateVm(template = "web-demo") Vm scratch) throws Exception {
        assertThat(scratch.name()).isNotEqualTo(web.name());
        assertThat(scratch.exec("touch /tmp/only-here && ls /tmp/only-here").exitCode()).isZero();
        assertThat(web.exec("test -e /tmp/only-here").exitCode()).as("the class VM did not see it").isNotZero();
    }
}
