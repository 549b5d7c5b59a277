/* Parse a small document in two chunks with element, attribute and character-data callbacks, check what the
 * callbacks saw, and check that a malformed document is rejected with the right error and line. */
#include <stdio.h>
#include <string.h>
#include <expat.h>

struct state {
    int depth, max_depth, elements;
    char path[256];
    char text[256];
    char attr_id[32];
};

static void XMLCALL start(void *data, const XML_Char *name, const XML_Char **attrs) {
    struct state *s = data;
    int i;
    s->depth++;
    if (s->depth > s->max_depth) s->max_depth = s->depth;
    s->elements++;
    strncat(s->path, "/", sizeof s->path - strlen(s->path) - 1);
    strncat(s->path, name, sizeof s->path - strlen(s->path) - 1);
    for (i = 0; attrs[i] != NULL; i += 2)
        if (strcmp(attrs[i], "id") == 0) snprintf(s->attr_id, sizeof s->attr_id, "%s", attrs[i + 1]);
}

static void XMLCALL end(void *data, const XML_Char *name) {
    struct state *s = data;
    (void)name;
    s->depth--;
}

static void XMLCALL chars(void *data, const XML_Char *text, int len) {
    struct state *s = data;
    size_t used = strlen(s->text);
    if (used + (size_t)len < sizeof s->text) {
        memcpy(s->text + used, text, (size_t)len);
        s->text[used + (size_t)len] = '\0';
    }
}

int main(void) {
    static const char doc1[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<library><book id=\"b7\">";
    static const char doc2[] = "<title>Caf\xc3\xa9 &amp; XML</title></book><empty/></library>";
    static const char bad[] = "<a>\n<b></a>";
    struct state s;
    XML_Parser p;
    XML_Expat_Version v = XML_ExpatVersionInfo();

    if (v.major != XML_MAJOR_VERSION || v.minor != XML_MINOR_VERSION || v.micro != XML_MICRO_VERSION ||
        strcmp(XML_ExpatVersion(), "expat_2.5.0") != 0) {
        fprintf(stderr, "version mismatch: %s\n", XML_ExpatVersion());
        return 1;
    }

    memset(&s, 0, sizeof s);
    p = XML_ParserCreate(NULL);
    XML_SetUserData(p, &s);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, chars);
    if (XML_Parse(p, doc1, (int)strlen(doc1), XML_FALSE) != XML_STATUS_OK ||
        XML_Parse(p, doc2, (int)strlen(doc2), XML_TRUE) != XML_STATUS_OK) {
        fprintf(stderr, "parse error: %s at line %lu\n", XML_ErrorString(XML_GetErrorCode(p)),
                (unsigned long)XML_GetCurrentLineNumber(p));
        return 1;
    }
    XML_ParserFree(p);
    if (s.elements != 4 || s.max_depth != 3 || s.depth != 0 || strcmp(s.path, "/library/book/title/empty") != 0 ||
        strcmp(s.attr_id, "b7") != 0 || strcmp(s.text, "Caf\xc3\xa9 & XML") != 0) {
        fprintf(stderr, "unexpected: elements=%d depth=%d path=%s id=%s text=%s\n", s.elements, s.max_depth, s.path,
                s.attr_id, s.text);
        return 1;
    }

    memset(&s, 0, sizeof s);
    p = XML_ParserCreate(NULL);
    XML_SetUserData(p, &s);
    XML_SetElementHandler(p, start, end);
    if (XML_Parse(p, bad, (int)strlen(bad), XML_TRUE) != XML_STATUS_ERROR ||
        XML_GetErrorCode(p) != XML_ERROR_TAG_MISMATCH || XML_GetCurrentLineNumber(p) != 2) {
        fprintf(stderr, "malformed document not rejected as expected\n");
        return 1;
    }
    XML_ParserFree(p);

    printf("%s: callbacks and error reporting OK\n", XML_ExpatVersion());
    return 0;
}
