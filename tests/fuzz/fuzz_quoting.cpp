// SPDX-License-Identifier: MIT
// libFuzzer target: text a caller may pass as a setting, name or literal survives the quoting the
// library applies. The input (UTF-8) becomes
// - a serverSettings value: the "options" startup parameter, split the way the server splits it
//   (pg_split_opts: whitespace separates, a backslash takes the next byte literally), must give
//   back exactly "-c name=value" pairs, the fuzzed value intact;
// - an SQL identifier and a string literal: read back by the server's lexing rules, they must give
//   back the text and end exactly where the quoting ends.
// A mismatch aborts.
#include "connectparams_p.h"
#include "sqlquote_p.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace {

bool isServerSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

QList<QByteArray> splitLikeServer(const QByteArray &options)
{
    QList<QByteArray> words;
    qsizetype i = 0;
    while (i < options.size()) {
        while (i < options.size() && isServerSpace(options.at(i)))
            ++i;
        if (i == options.size())
            break;
        QByteArray word;
        bool escaped = false;
        for (; i < options.size(); ++i) {
            const char c = options.at(i);
            if (isServerSpace(c) && !escaped)
                break;
            if (!escaped && c == '\\') {
                escaped = true;
            } else {
                escaped = false;
                word += c;
            }
        }
        words.append(word);
    }
    return words;
}

void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_quoting: %s\n", what);
        std::abort();
    }
}

void checkStartupOption(const QString &value)
{
    QPg::ConnectOptions options;
    options.applicationName.clear();
    options.serverSettings.insert(QStringLiteral("qpg.fuzz"), value);
    std::optional<QPg::Private::ConnectParams> params;
    try {
        params.emplace(options);
    } catch (const QPg::InterfaceError &) {
        check(value.contains(QChar(u'\0')), "a value without NUL was refused");
        return;
    }
    check(!value.contains(QChar(u'\0')), "a value with NUL was accepted (libpq would cut the options there)");
    QByteArray startup;
    for (int i = 0; params->keywords()[i]; ++i) {
        if (std::strcmp(params->keywords()[i], "options") == 0)
            startup = params->values()[i];
    }
    const QList<QByteArray> words = splitLikeServer(startup);
    check(words.size() % 2 == 0, "odd number of words in options");
    int found = 0;
    for (qsizetype i = 0; i < words.size(); i += 2) {
        check(words.at(i) == "-c", "a word other than -c where one was expected");
        if (words.at(i + 1).startsWith("qpg.fuzz=")) {
            check(words.at(i + 1) == "qpg.fuzz=" + value.toUtf8(), "setting value changed on its way");
            ++found;
        }
    }
    check(found == 1, "setting missing or duplicated");
}

// Reads a quoted token at the start of sql by the server's rules; returns it decoded and sets
// length to the characters consumed; nullopt when it does not parse.
std::optional<QString> readQuoted(const QString &sql, QChar quote, bool escapes, qsizetype *length)
{
    if (sql.isEmpty() || sql.at(0) != quote)
        return std::nullopt;
    QString out;
    for (qsizetype i = 1; i < sql.size(); ++i) {
        const QChar c = sql.at(i);
        if (escapes && c == u'\\') {
            if (++i == sql.size())
                return std::nullopt;
            out += sql.at(i); // the quoting only ever escapes backslashes
        } else if (c == quote) {
            if (i + 1 < sql.size() && sql.at(i + 1) == quote) {
                out += quote;
                ++i;
            } else {
                *length = i + 1;
                return out;
            }
        } else {
            out += c;
        }
    }
    return std::nullopt;
}

void checkSqlQuoting(const QString &text)
{
    using namespace QPg::Private;
    qsizetype length = 0;
    const QString identifier = quoteIdentifier(text);
    const auto name = readQuoted(identifier, u'"', false, &length);
    check(name && *name == text && length == identifier.size(), "identifier does not read back");

    const QString literal = quoteLiteral(text);
    const bool escaped = literal.startsWith(u'E');
    check(escaped == text.contains(u'\\'), "E'' used for the wrong text");
    const QString body = escaped ? literal.mid(1) : literal;
    const auto read = readQuoted(body, u'\'', escaped, &length);
    check(read && *read == text && length == body.size(), "literal does not read back");
    if (!escaped) {
        // Without E the text has no backslash, so standard_conforming_strings cannot matter.
        check(!body.contains(u'\\'), "backslash in a plain literal");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    checkStartupOption(text);
    checkSqlQuoting(text);
    return 0;
}
