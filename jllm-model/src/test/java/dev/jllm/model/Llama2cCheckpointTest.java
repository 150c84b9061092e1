package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cCheckpointTest {

    @TempDir Path tmp;

    @Test
    void everyTensorEqualsTheOneLlamaCppConvertedToGguf() throws Exception {
        // llama.cpp's convert-llama2c-to-ggml made stories260K.gguf from this .bin: our offsets into the
        // .bin must find exactly the bytes it wrote for each tensor (output.weight there = our embedding).
        byte[] bin = Files.readAllBytes(TestData.path("models/stories260K.bin"));
        Llama2cCheckpoint c = Llama2cCheckpoint.read(TestData.path("models/stories260K.bin"));
        assertEquals(new ModelConfig("llama", 64, 172, 5, 8, 4, 8, 512, 512, 1e-5f, 10000f, true), c.config());
        try (GgufFile g = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            for (GgufTensorInfo t : c.tensors()) {
                GgufTensorInfo u = g.tensor(t.name());
                assertNotNull(u, t.name());
                assertArrayEquals(u.dims(), t.dims(), t.name());
                MemorySegment ours = MemorySegment.ofArray(bin).asSlice(t.offset(), t.byteSize());
                assertEquals(-1, ours.mismatch(g.tensorData(u)), t.name());
            }
            MemorySegment embd = MemorySegment.ofArray(bin).asSlice(28, 64L * 512 * 4);
            assertEquals(-1, embd.mismatch(g.tensorData(g.tensor("output.weight"))));
        }
    }

    @Test
    void truncatedAndGarbageCheckpointsFailWithAReason() throws Exception {
        byte[] bin = Files.readAllBytes(TestData.path("models/stories260K.bin"));
        Path t = tmp.resolve("t.bin");
        Files.write(t, Arrays.copyOf(bin, 5000));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> Llama2cCheckpoint.read(t));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Path g = tmp.resolve("g.bin");
        Files.write(g, "this is just some text, clearly not weights".getBytes());
        e = assertThrows(GgufFormatException.class, () -> ModelFile.open(g));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }
}
