package io.vboxmcp.testkit.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds valid pure-Python wheels (PEP 427) in Java, for package-index tests that must not reach PyPI.
 *
 * @since 0.2.0
 */
public final class Wheels {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,60}[A-Za-z0-9])?");
    private static final Pattern VERSION = Pattern.compile("[0-9]+(\\.[0-9]+){0,5}");

    /**
     * A built wheel.
     *
     * @param project  the project name as given ({@code hello-vboxmcp})
     * @param version  its version
     * @param fileName {@code hello_vboxmcp-1.0.0-py3-none-any.whl}
     * @param content  the zip bytes
     */
    public record Wheel(String project, String version, String fileName, byte[] content) {
        public Wheel {
            Objects.requireNonNull(fileName, "fileName");
            content = content.clone();
        }

        @Override
        public byte[] content() {
            return content.clone();
        }

        /** @return the import name of its one module ({@code hello_vboxmcp}) */
        public String module() {
            return escape(project).toLowerCase(java.util.Locale.ROOT);
        }

        /** @return the lower-case hex SHA-256 of the file, as a PEP 503 link fragment wants it */
        public String sha256() {
            return java.util.HexFormat.of().formatHex(digest(content));
        }
    }

    private Wheels() {
    }

    /**
     * @param name         project name (letters, digits, {@code .}, {@code _}, {@code -})
     * @param version      a plain release version ({@code 1.0.0})
     * @param moduleSource the text of {@code <module>/__init__.py}, where module is the name with {@code -} and
     *                     {@code .} as {@code _}, lower-case
     * @return the wheel, never null
     */
    public static Wheel make(String name, String version, String moduleSource) {
        if (!NAME.matcher(name).matches() || !VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("not a simple project name and release version: " + name + " " + version);
        }
        String dist = escape(name);
        String module = dist.toLowerCase(java.util.Locale.ROOT);
        String info = dist + "-" + version + ".dist-info/";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(module + "/__init__.py", moduleSource.getBytes(StandardCharsets.UTF_8));
        files.put(info + "METADATA", ("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version
                + "\nSummary: test package built by vboxmcp-testkit\n").getBytes(StandardCharsets.UTF_8));
        files.put(info + "WHEEL", ("Wheel-Version: 1.0\nGenerator: vboxmcp-testkit\nRoot-Is-Purelib: true\n"
                + "Tag: py3-none-any\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder record = new StringBuilder();
        files.forEach((path, bytes) -> record.append(path).append(",sha256=")
                .append(Base64.getUrlEncoder().withoutPadding().encodeToString(digest(bytes))).append(',')
                .append(bytes.length).append('\n'));
        record.append(info).append("RECORD,,\n");
        files.put(info + "RECORD", record.toString().getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                ZipEntry e = new ZipEntry(f.getKey());
                e.setTime(315532800000L);  // 1980-01-01: the same bytes on every run
                zip.putNextEntry(e);
                zip.write(f.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Wheel(name, version, dist + "-" + version + "-py3-none-any.whl", out.toByteArray());
    }

    /** PEP 427 escaping of a distribution name in file names. */
    static String escape(String name) {
        return name.replaceAll("[-_.]+", "_");
    }

    /** PEP 503 normalized project name. */
    static String normalize(String name) {
        return name.replaceAll("[-_.]+", "-").toLowerCase(java.util.Locale.ROOT);
    }

    static byte[] digest(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
