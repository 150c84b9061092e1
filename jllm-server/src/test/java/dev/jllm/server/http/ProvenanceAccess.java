package dev.jllm.server.http;

/** Test access to the package-private refusal heuristic. */
public final class ProvenanceAccess {
    private ProvenanceAccess() {}

    public static boolean refusal(String text) {
        return Provenance.refusal(text);
    }
}
