/** The jllm command line. */
module dev.jllm.cli {
    requires dev.jllm.engine;
    requires dev.jllm.data;
    requires dev.jllm.server;
    requires dev.jllm.grammar;
    requires dev.jllm.train;
    requires dev.jllm.sft;
    requires dev.jllm.eval;
    requires java.desktop;
    requires java.net.http;
    requires info.picocli;
    requires org.knowm.xchart;
    requires com.fasterxml.jackson.databind;
    requires java.management;
    requires jdk.management;
    opens dev.jllm.cli to info.picocli;
}
