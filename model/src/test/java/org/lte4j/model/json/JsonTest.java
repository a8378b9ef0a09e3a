package org.lte4j.model.json;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2.5e1, true, false, null, \"x\\u00e9\\n\\\"\"], \"b\": {}, \"c\": [],"
                + " \"big\": 12345678901234567890, \"z\": 0} ");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-25.0, a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertEquals(Boolean.FALSE, a.get(3));
        assertNull(a.get(4));
        assertEquals("x\u00e9\n\"", a.get(5));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertEquals(1.2345678901234567e19, (Double) m.get("big"), 1e4);
        assertEquals(0L, m.get("z"));
        assertEquals(List.of("big", "z"), List.copyOf(m.keySet()).subList(3, 5)); // insertion order kept
    }

    @Test
    void surrogatePairEscapesCombine() {
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
    }

    @Test
    void rejectsMalformedInputWithOffset() {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01", "1 2", "{\"a\":1,}",
                "\"\\x\"", "-", "1.", "[" .repeat(1000)}) {
            Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains("at character"), e.getMessage());
        }
    }
}
