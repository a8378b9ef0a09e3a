package org.lte4j.model.sparse;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class SparsityPlotTest {
    @TempDir
    Path dir;

    /** 3 layers of 64 neurons; token 0 skips 0/32/64, token 1 skips 16/48/64, token 2 runs layer 0 only. */
    private static SparsityRecorder recorder() {
        SparsityRecorder r = new SparsityRecorder(3, 64);
        int[][] skipped = {{0, 32, 64}, {16, 48, 64}};
        for (int[] token : skipped) {
            for (int l = 0; l < 3; l++) {
                r.record(l, token[l]);
            }
        }
        r.record(0, 8);
        return r;
    }

    @Test
    void recorderAveragesWhatRan() {
        SparsityRecorder r = recorder();
        assertEquals(3, r.tokens());
        assertEquals((0 + 16 + 8) / (3 * 64.0), r.layerSparsity(0), 1e-12);
        assertEquals((32 + 48) / (2 * 64.0), r.layerSparsity(1), 1e-12);
        assertEquals(1.0, r.layerSparsity(2), 1e-12);
        assertEquals((0 + 32 + 64 + 16 + 48 + 64 + 8) / (7 * 64.0), r.overallSparsity(), 1e-12);
        assertTrue(Double.isNaN(r.sparsity(2, 1)));
        assertThrows(IllegalArgumentException.class, () -> r.record(3, 0));
        assertThrows(IllegalArgumentException.class, () -> r.record(0, 65));
        SparsityRecorder tail = r.copyFrom(1);
        assertEquals(2, tail.tokens());
        assertEquals(48 / 64.0, tail.sparsity(0, 1), 1e-12);
        assertEquals((16 + 8) / (2 * 64.0), tail.layerSparsity(0), 1e-12);
        r.clear();
        assertEquals(0, r.tokens());
        assertTrue(Double.isNaN(r.overallSparsity()));
    }

    @Test
    void reportListsEveryLayer() {
        String text = SparsityReport.format(recorder());
        assertTrue(text.contains("over 3 tokens: overall 51.8%"), text);
        assertTrue(text.contains("    1    62.5%    50.0%    75.0%"), text);
        assertTrue(text.contains("    2   100.0%   100.0%   100.0%"), text);
    }

    @Test
    void heatMapHasOneCellPerLayerAndTokenColouredBySparsity() throws Exception {
        Path file = dir.resolve("sparsity.svg");
        SparsityPlot.writeSvg(file, recorder());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readString(file).getBytes(StandardCharsets.UTF_8)));
        Element cells = null;
        NodeList groups = doc.getElementsByTagName("g");
        for (int i = 0; i < groups.getLength(); i++) {
            if ("cells".equals(((Element) groups.item(i)).getAttribute("class"))) {
                cells = (Element) groups.item(i);
            }
        }
        assertNotNull(cells);
        NodeList rects = cells.getElementsByTagName("rect");
        assertEquals(9, rects.getLength());
        // row-major by layer: layer 0 token 0 (0 skipped), layer 2 token 0 (all skipped), layer 1 token 2 (not run)
        assertEquals("#0d0887", ((Element) rects.item(0)).getAttribute("fill"));
        assertEquals("#f0f921", ((Element) rects.item(6)).getAttribute("fill"));
        assertEquals(SparsityPlot.MISSING, ((Element) rects.item(5)).getAttribute("fill"));
        assertEquals(SparsityPlot.colour(48 / 64.0), ((Element) rects.item(4)).getAttribute("fill"));
        assertTrue(rects.item(4).getTextContent().contains("layer 1, token 1: 75.0%"));
        assertTrue(doc.getDocumentElement().getTextContent().contains("overall 51.8%"));
    }

    @Test
    void colourRampRunsThroughItsStops() {
        assertEquals("#0d0887", SparsityPlot.colour(0));
        assertEquals("#cc4778", SparsityPlot.colour(0.5));
        assertEquals("#f0f921", SparsityPlot.colour(1));
        assertEquals("#f0f921", SparsityPlot.colour(1.5));
    }

    @Test
    void emptyRecorderStillWritesAPlot() throws Exception {
        String svg = SparsityPlot.svg(new SparsityRecorder(2, 32));
        DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertTrue(svg.contains("no tokens recorded"));
    }
}
