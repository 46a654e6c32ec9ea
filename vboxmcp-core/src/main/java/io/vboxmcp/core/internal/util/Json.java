package io.vboxmcp.core.internal.util;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VersionFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** The JSON mapper for core's own state files (plans, machines). */
public final class Json {
    public static final ObjectMapper MAPPER = create();

    private Json() {
    }

    private static ObjectMapper create() {
        SimpleModule m = new SimpleModule("vboxmcp-state");
        m.addSerializer(SemanticVersion.class, new JsonSerializer<>() {
            @Override
            public void serialize(SemanticVersion v, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeString(v.toString());
            }
        });
        m.addDeserializer(SemanticVersion.class, new JsonDeserializer<>() {
            @Override
            public SemanticVersion deserialize(JsonParser p, DeserializationContext c) throws IOException {
                try {
                    return SemanticVersion.parse(p.getValueAsString());
                } catch (VersionFormatException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        });
        m.addSerializer(Duration.class, new JsonSerializer<>() {
            @Override
            public void serialize(Duration d, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeString(d.toString());
            }
        });
        m.addDeserializer(Duration.class, new JsonDeserializer<>() {
            @Override
            public Duration deserialize(JsonParser p, DeserializationContext c) throws IOException {
                return Duration.parse(p.getValueAsString());
            }
        });
        m.addSerializer(Path.class, new JsonSerializer<>() {
            @Override
            public void serialize(Path v, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeString(v.toString());
            }
        });
        m.addDeserializer(Path.class, new JsonDeserializer<>() {
            @Override
            public Path deserialize(JsonParser p, DeserializationContext c) throws IOException {
                return Path.of(p.getValueAsString());
            }
        });
        return new ObjectMapper().registerModule(m)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }
}
