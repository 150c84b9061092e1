package dev.jllm.cli;

import dev.jllm.model.Llama2cConverter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm convert}: llama2.c checkpoint + tokenizer.bin → GGUF. */
@Command(name = "convert", mixinStandardHelpOptions = true, description = "Convert a llama2.c checkpoint (+ tokenizer.bin) to GGUF.")
final class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "llama2.c .bin checkpoint") Path in;
    @Parameters(index = "1", paramLabel = "OUT", description = "output .gguf") Path out;

    @Option(names = "--tokenizer", required = true, paramLabel = "TOKENIZER_BIN", description = "llama2.c tokenizer.bin")
    Path tokenizer;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Llama2cConverter.convert(in, tokenizer, out);
        spec.commandLine().getOut().printf("wrote %s (%s) in %.2f s%n", out, Units.bytes(Files.size(out)), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
