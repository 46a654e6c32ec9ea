package io.vboxmcp.qemu.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Map;

/**
 * The driver's one JSON mapper (QMP messages, {@code machine.json}, the KVM probe cache). Unknown properties are
 * ignored so a {@code machine.json} written by a newer driver still reads; output is compact, one line.
 */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    private Json() {
    }

    /** @return the JSON object in {@code text}; an {@link IOException} if it is not one */
    static Map<String, Object> parseObject(String text) throws IOException {
        Map<String, Object> m = MAPPER.readValue(text, OBJECT);
        if (m == null) {
            throw new IOException("not a JSON object: null");
        }
        return m;
    }

    static String write(Object value) throws IOException {
        return MAPPER.writeValueAsString(value);
    }
}
