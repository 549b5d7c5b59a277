/* Parse a YAML document with the event parser and the document loader, check its structure and values, emit a
 * document and parse it back, and check that a malformed document is rejected. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static const char doc[] =
    "%YAML 1.1\n"
    "---\n"
    "name: archi\n"
    "tools: [make, perl, tclsh]\n"
    "nested:\n"
    "  key: &anchor value with spaces\n"
    "  again: *anchor\n"
    "  block: |\n"
    "    line one\n"
    "    line two\n";

/* Find the value node of `key` in the mapping node `map`. */
static yaml_node_t *lookup(yaml_document_t *d, yaml_node_t *map, const char *key) {
    yaml_node_pair_t *pair;
    if (map == NULL || map->type != YAML_MAPPING_NODE) return NULL;
    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(d, pair->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, pair->value);
    }
    return NULL;
}

static int scalar_is(yaml_node_t *n, const char *expected) {
    return n != NULL && n->type == YAML_SCALAR_NODE && strcmp((const char *)n->data.scalar.value, expected) == 0;
}

static int count_events(const char *text, int *scalars, int *mappings, int *aliases) {
    yaml_parser_t parser;
    yaml_event_t event;
    int done = 0;
    *scalars = *mappings = *aliases = 0;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            yaml_parser_delete(&parser);
            return -1;
        }
        if (event.type == YAML_SCALAR_EVENT) (*scalars)++;
        if (event.type == YAML_MAPPING_START_EVENT) (*mappings)++;
        if (event.type == YAML_ALIAS_EVENT) (*aliases)++;
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return 0;
}

int main(void) {
    int major, minor, patch, scalars, mappings, aliases;
    yaml_parser_t parser;
    yaml_document_t d;
    yaml_node_t *root, *tools, *nested;
    yaml_emitter_t emitter;
    yaml_event_t ev;
    unsigned char out[512];
    size_t written = 0;

    yaml_get_version(&major, &minor, &patch);
    if (major != 0 || minor != 2 || patch != 5 || strcmp(yaml_get_version_string(), "0.2.5") != 0) {
        fprintf(stderr, "unexpected version %s\n", yaml_get_version_string());
        return 1;
    }

    if (count_events(doc, &scalars, &mappings, &aliases) != 0 || scalars != 12 || mappings != 2 || aliases != 1) {
        fprintf(stderr, "events: scalars=%d mappings=%d aliases=%d\n", scalars, mappings, aliases);
        return 1;
    }

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)doc, strlen(doc));
    if (!yaml_parser_load(&parser, &d) || (root = yaml_document_get_root_node(&d)) == NULL) {
        fprintf(stderr, "load failed: %s\n", parser.problem ? parser.problem : "?");
        return 1;
    }
    tools = lookup(&d, root, "tools");
    nested = lookup(&d, root, "nested");
    if (!scalar_is(lookup(&d, root, "name"), "archi") || tools == NULL || tools->type != YAML_SEQUENCE_NODE ||
        tools->data.sequence.items.top - tools->data.sequence.items.start != 3 ||
        !scalar_is(yaml_document_get_node(&d, tools->data.sequence.items.start[2]), "tclsh") ||
        !scalar_is(lookup(&d, nested, "key"), "value with spaces") ||
        !scalar_is(lookup(&d, nested, "again"), "value with spaces") ||
        !scalar_is(lookup(&d, nested, "block"), "line one\nline two\n")) {
        fprintf(stderr, "document content differs\n");
        return 1;
    }
    yaml_document_delete(&d);
    yaml_parser_delete(&parser);

    /* Emit {greeting: hello world} and parse it back. */
    yaml_emitter_initialize(&emitter);
    yaml_emitter_set_output_string(&emitter, out, sizeof out, &written);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    yaml_emitter_emit(&emitter, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    yaml_emitter_emit(&emitter, &ev);
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    yaml_emitter_emit(&emitter, &ev);
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)"greeting", -1, 1, 1, YAML_PLAIN_SCALAR_STYLE);
    yaml_emitter_emit(&emitter, &ev);
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)"hello world", -1, 1, 1, YAML_PLAIN_SCALAR_STYLE);
    yaml_emitter_emit(&emitter, &ev);
    yaml_mapping_end_event_initialize(&ev);
    yaml_emitter_emit(&emitter, &ev);
    yaml_document_end_event_initialize(&ev, 1);
    yaml_emitter_emit(&emitter, &ev);
    yaml_stream_end_event_initialize(&ev);
    if (!yaml_emitter_emit(&emitter, &ev) || emitter.error != YAML_NO_ERROR) {
        fprintf(stderr, "emitter failed\n");
        return 1;
    }
    yaml_emitter_delete(&emitter);
    out[written] = '\0';
    if (strcmp((const char *)out, "greeting: hello world\n") != 0 &&
        strcmp((const char *)out, "greeting: hello world\n...\n") != 0) {
        fprintf(stderr, "emitted: %s\n", out);
        return 1;
    }
    if (count_events((const char *)out, &scalars, &mappings, &aliases) != 0 || scalars != 2 || mappings != 1) {
        fprintf(stderr, "emitted document does not parse back\n");
        return 1;
    }

    /* Malformed: a flow sequence that is never closed. */
    if (count_events("key: [a, b\nother: c\n", &scalars, &mappings, &aliases) != -1) {
        fprintf(stderr, "malformed document accepted\n");
        return 1;
    }

    printf("libyaml %s: events, loader, emitter and errors OK\n", yaml_get_version_string());
    return 0;
}
