package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task YAML, JSONL and the MMLU / C-Eval / CMMLU CSV layouts: what they read, and errors that name file, line and field. */
class TaskFilesTest {
    @TempDir Path tmp;

    private Path file(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    private static void fails(Executable e, String... parts) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e::run);
        for (String p : parts) assertTrue(x.getMessage().contains(p), "missing '" + p + "' in: " + x.getMessage());
        assertFalse(x.getMessage().contains("\n"), "one line: " + x.getMessage());
    }

    interface Executable {
        void run() throws Exception;
    }

    @Test
    void aGenerationTaskWithItsDefaults() throws Exception {
        file("qa.jsonl", "{\"id\": \"a\", \"q\": \"Capital of France?\", \"ans\": [\"Paris\", \"paris\"]}\n\n{\"id\": 7, \"q\": \"2+2?\", \"ans\": \"4\"}\n");
        TaskSpec s = TaskSpecReader.read(file("qa.yaml", "type: generate\ndata: qa.jsonl\nid: id\nprompt: \"Q: {q}\\nA:\"\nanswer: ans\n"));
        assertEquals("qa", s.name());
        assertEquals(List.of("exact", "f1"), s.metrics());
        assertEquals(TaskSpec.Extract.STRIP, s.extract());
        List<TaskItem> items = TaskData.items(s);
        assertEquals(List.of("a", "7"), items.stream().map(TaskItem::id).toList());
        assertEquals(3, items.get(1).line());
        Prepared p = new TaskPrompts(s, TaskData.dev(s)).prepare(items.getFirst());
        assertEquals("Q: Capital of France?\nA:", p.prompt());
        assertEquals(List.of("Paris", "paris"), p.references());
    }

    @Test
    void fewShotExamplesComeFromTheDevSplitAsTheHarnessJoinsThem() throws Exception {
        file("dev.jsonl", "{\"q\": \"1+1?\", \"a\": \"2\"}\n{\"q\": \"2+3?\", \"a\": [\"5\", \"five\"]}\n{\"q\": \"unused\", \"a\": \"x\"}\n");
        file("t.jsonl", "{\"q\": \"3+4?\", \"a\": \"7\"}\n");
        TaskSpec s = TaskSpecReader.read(file("t.yaml", "type: generate\ndata: t.jsonl\ndev: dev.jsonl\nfewshot: 2\ndescription: \"Sums.\\n\\n\"\n"
                + "prompt: \"Q: {q}\\nA:\"\nanswer: a\n"));
        Prepared p = new TaskPrompts(s, TaskData.dev(s)).prepare(TaskData.items(s).getFirst());
        assertEquals("Sums.\n\nQ: 1+1?\nA: 2\n\nQ: 2+3?\nA: 5\n\nQ: 3+4?\nA:", p.prompt());
        assertEquals("line 1", TaskData.items(s).getFirst().id());
    }

    @Test
    void mmluCevalAndCmmluLayoutsGiveTheSameItemsAndTheHarnessPrompts() throws Exception {
        file("mmlu/test/astronomy_test.csv", "\"What is, in fact, the Sun?\",A star,A planet,\"A \"\"moon\"\"\",A comet,A\nQ2,a,b,c,d,C\n");
        file("mmlu/dev/astronomy_dev.csv", "Dev q,w,x,y,z,D\n");
        TaskSpec s = TaskSpecReader.read(file("m.yaml", "type: multiple_choice\nformat: mmlu\ndata: mmlu/test\ndev: mmlu/dev\nfewshot: 1\n"));
        List<TaskItem> items = TaskData.items(s);
        assertEquals(List.of("astronomy-1", "astronomy-2"), items.stream().map(TaskItem::id).toList());
        assertEquals("astronomy", items.getFirst().category());
        Prepared p = new TaskPrompts(s, TaskData.dev(s)).prepare(items.getFirst());
        assertEquals("The following are multiple choice questions (with answers) about astronomy.\n\n"
                + "Dev q\nA. w\nB. x\nC. y\nD. z\nAnswer: D\n\n"
                + "What is, in fact, the Sun?\nA. A star\nB. A planet\nC. A \"moon\"\nD. A comet\nAnswer:", p.prompt());
        assertEquals(List.of("A", "B", "C", "D"), p.choices());
        assertEquals(0, p.gold());
        assertEquals(2, new TaskPrompts(s, TaskData.dev(s)).prepare(items.get(1)).gold());

        file("ceval/val/law_val.csv", "id,question,A,B,C,D,answer,explanation\n0,甲的行为构成____。,诈骗罪,盗窃罪,侵占罪,职务侵占罪,B,\"1. 分析\n2. 结论\"\n");
        TaskSpec c = TaskSpecReader.read(file("c.yaml", "type: multiple_choice\nformat: ceval\ndata: ceval/val\n"));
        Prepared pc = new TaskPrompts(c, List.of()).prepare(TaskData.items(c).getFirst());
        assertEquals("以下是中国关于law考试的单项选择题，请选出其中的正确答案。\n\n甲的行为构成____。\nA. 诈骗罪\nB. 盗窃罪\nC. 侵占罪\nD. 职务侵占罪\n答案：", pc.prompt());
        assertEquals(1, pc.gold());

        file("cmmlu/test/anatomy.csv", ",Question,A,B,C,D,Answer\n0,壁胸膜的分部不包括,肋胸膜,肺胸膜,膈胸膜,胸膜顶,B\n");
        TaskSpec m = TaskSpecReader.read(file("cm.yaml", "type: multiple_choice\nformat: cmmlu\ndata: cmmlu/test\n"));
        TaskItem it = TaskData.items(m).getFirst();
        assertEquals("anatomy-1", it.id());
        assertEquals(2, it.line());
        assertEquals(1, new TaskPrompts(m, List.of()).prepare(it).gold());
    }

    @Test
    void badYamlNamesFileLineAndKey() throws Exception {
        fails(() -> TaskSpecReader.read(file("a.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\nprompt_template: oops\n")),
                "a.yaml: line 5: unknown key 'prompt_template'");
        fails(() -> TaskSpecReader.read(file("b.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\nchoices: [A, B]\n")),
                "b.yaml: line 5: key 'choices' is not used by type generate");
        fails(() -> TaskSpecReader.read(file("c.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\nmetrics: [exact, bleurt]\n")),
                "c.yaml: line 5: unknown metric 'bleurt'");
        fails(() -> TaskSpecReader.read(file("d.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\nmax_tokens: many\n")),
                "d.yaml: line 5: max_tokens must be an integer");
        fails(() -> TaskSpecReader.read(file("e.yaml", "type: quiz\n")), "e.yaml: line 1: type must be one of multiple_choice, generate, perplexity, got 'quiz'");
        fails(() -> TaskSpecReader.read(file("f.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\nmetrics: [length]\n")),
                "f.yaml: line 5: metric 'length' needs 'length_limit: N'");
        fails(() -> TaskSpecReader.read(file("g.yaml", "type: generate\ndata: [x\n")), "g.yaml: line", "not valid YAML");
        fails(() -> TaskSpecReader.read(file("h.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\nregex: \"(\\\\d+\"\nextract: regex\n")),
                "h.yaml: line 5: not a valid regular expression");
        fails(() -> TaskSpecReader.read(file("i.yaml", "type: multiple_choice\ndata: x.jsonl\nprompt: p\nanswer: a\n")),
                "i.yaml", "exactly one of 'choices");
        fails(() -> TaskSpecReader.read(file("j.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\nfewshot: 3\n")),
                "j.yaml: line 5: fewshot 3 needs a dev split");
        fails(() -> TaskSpecReader.read(file("k.yaml", "type: generate\ndata: x.jsonl\nprompt: p\nanswer: a\ndev: d.jsonl\n")),
                "k.yaml: line 5: 'dev' is only used by few-shot examples");
        fails(() -> TaskSpecReader.read(file("l.yaml", "type: multiple_choice\nformat: mmlu\ndata: m\ncategory: topic\n")),
                "l.yaml: line 4: format mmlu sets 'category' itself");
        fails(() -> TaskSpecReader.read(file("m.yaml", "type: perplexity\ntext: t.txt\nprompt: p\n")),
                "m.yaml: line 3: key 'prompt' is not used by type perplexity");
    }

    @Test
    void badItemsNameFileLineAndField() throws Exception {
        file("t.jsonl", "{\"question\": \"ok\", \"answer\": \"x\"}\n{\"question\": \"no answer\"}\n");
        TaskSpec s = TaskSpecReader.read(file("t.yaml", "type: generate\ndata: t.jsonl\nprompt: \"{question}\"\nanswer: answer\n"));
        TaskPrompts tp = new TaskPrompts(s, List.of());
        List<TaskItem> items = TaskData.items(s);
        fails(() -> tp.prepare(items.get(1)), "t.jsonl: line 2: field 'answer' (answer) missing");
        TaskSpec s2 = TaskSpecReader.read(file("t2.yaml", "type: generate\ndata: t.jsonl\nprompt: \"{qestion}\"\nanswer: answer\n"));
        fails(() -> new TaskPrompts(s2, List.of()).prepare(TaskData.items(s2).getFirst()), "t.jsonl: line 1: field 'qestion' (used by 'prompt') missing");
        file("bad.jsonl", "{\"question\": \"ok\", \"answer\": \"x\"}\n{\"question\": \"broken\n");
        TaskSpec s3 = TaskSpecReader.read(file("t3.yaml", "type: generate\ndata: bad.jsonl\nprompt: \"{question}\"\nanswer: answer\n"));
        fails(() -> TaskData.items(s3), "bad.jsonl: line 2: not a JSON object");
        file("dup.jsonl", "{\"id\": 1, \"q\": \"a\", \"a\": \"b\"}\n{\"id\": 1, \"q\": \"c\", \"a\": \"d\"}\n");
        TaskSpec s4 = TaskSpecReader.read(file("t4.yaml", "type: generate\ndata: dup.jsonl\nid: id\nprompt: \"{q}\"\nanswer: a\n"));
        fails(() -> TaskData.items(s4), "dup.jsonl: line 2: id '1' already used at", "line 1");
        file("mc.jsonl", "{\"q\": \"a\", \"c\": [\"x\", \"y\"], \"g\": \"E\"}\n");
        TaskSpec s5 = TaskSpecReader.read(file("t5.yaml", "type: multiple_choice\ndata: mc.jsonl\nprompt: \"{q}\"\nchoices_field: c\nanswer: g\n"));
        fails(() -> new TaskPrompts(s5, List.of()).prepare(TaskData.items(s5).getFirst()), "mc.jsonl: line 1: field 'g': 'E' is neither a choice");
        file("mc2.jsonl", "{\"q\": \"a\", \"c\": [\"x\", \"y\", \"z\"], \"g\": \"2\"}\n{\"q\": \"b\", \"c\": [\"x\", \"y\"], \"g\": \" b \"}\n"
                + "{\"q\": \"c\", \"c\": [\"1\", \"0\"], \"g\": \"0\"}\n");
        TaskSpec s7 = TaskSpecReader.read(file("t7.yaml", "type: multiple_choice\ndata: mc2.jsonl\nprompt: \"{q}\"\nchoices_field: c\nanswer: g\n"));
        TaskPrompts tp7 = new TaskPrompts(s7, List.of());
        // digits as text are an index, a letter in either case a position, but a choice's own text comes first
        assertEquals(List.of(2, 1, 1), TaskData.items(s7).stream().map(i -> tp7.prepare(i).gold()).toList());
        file("mmlu/x_test.csv", "q,a,b,c\n");
        TaskSpec s6 = TaskSpecReader.read(file("t6.yaml", "type: multiple_choice\nformat: mmlu\ndata: mmlu/x_test.csv\n"));
        fails(() -> TaskData.items(s6), "x_test.csv: line 1: field 'D' missing");
    }

    @Test
    void answersAreExtractedAsTheTaskSays() {
        assertEquals("Paris", new AnswerExtractor(TaskSpec.Extract.FIRST_LINE, null).extract("\n  Paris \nQ: next"));
        assertEquals("B", new AnswerExtractor(TaskSpec.Extract.CHOICE_LETTER, null).extract("答案：B。因为"));
        assertEquals("C", new AnswerExtractor(TaskSpec.Extract.CHOICE_LETTER, null).extract("I think (C) is right"));
        assertEquals("", new AnswerExtractor(TaskSpec.Extract.CHOICE_LETTER, null).extract("Because"));
        assertEquals("42", new AnswerExtractor(TaskSpec.Extract.REGEX, "answer is (\\d+)").extract("so the answer is 42."));
        assertEquals("x", new AnswerExtractor(TaskSpec.Extract.STRIP, null).extract(" x\n"));
    }
}
