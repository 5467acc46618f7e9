// SPDX-License-Identifier: MIT
#include "monitorprotocol_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QtEndian>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitoring {

namespace {

enum class Kind { Integer, Number, Text, Bool, Map, Array };

struct Field
{
    const char16_t *name;
    Kind kind;
    bool required;
};

bool hasKind(const QCborValue &value, Kind kind)
{
    switch (kind) {
    case Kind::Integer: return value.isInteger();
    case Kind::Number: return value.isInteger() || value.isDouble();
    case Kind::Text: return value.isString();
    case Kind::Bool: return value.isBool();
    case Kind::Map: return value.isMap();
    case Kind::Array: return value.isArray();
    }
    return false;
}

bool checkFields(const QCborMap &map, std::initializer_list<Field> fields, QString *error)
{
    for (const Field &field : fields) {
        const QCborValue value = map.value(QString::fromUtf16(field.name));
        if (value.isUndefined()) {
            if (field.required) {
                *error = u"field \"%1\" is missing"_s.arg(QString::fromUtf16(field.name));
                return false;
            }
            continue;
        }
        if (!hasKind(value, field.kind)) {
            *error = u"field \"%1\" has the wrong type"_s.arg(QString::fromUtf16(field.name));
            return false;
        }
    }
    return true;
}

} // namespace

QString messageTypeName(MessageType type)
{
    switch (type) {
    case MessageType::ClientHello:
    case MessageType::ServerHello: return u"hello"_s;
    case MessageType::ListPools: return u"listPools"_s;
    case MessageType::Subscribe: return u"subscribe"_s;
    case MessageType::Command: return u"command"_s;
    case MessageType::Pools: return u"pools"_s;
    case MessageType::Snapshot: return u"snapshot"_s;
    case MessageType::Event: return u"event"_s;
    case MessageType::Reply: return u"reply"_s;
    case MessageType::SessionsRequest:
    case MessageType::Sessions: return u"sessions"_s;
    case MessageType::Error: return u"error"_s;
    }
    return QString();
}

bool classifyMessage(const QCborMap &map, Sender sender, MessageType *type, QString *error)
{
    const QCborValue typeValue = map.value(u"type"_s);
    if (!typeValue.isString()) {
        *error = u"message without a \"type\" text"_s;
        return false;
    }
    const QString name = typeValue.toString();
    if (sender == Sender::Client) {
        if (name == u"hello") {
            *type = MessageType::ClientHello;
            return checkFields(map, {{u"version", Kind::Integer, true}, {u"client", Kind::Text, false},
                                     {u"token", Kind::Text, false}}, error);
        }
        if (name == u"listPools") {
            *type = MessageType::ListPools;
            return true;
        }
        if (name == u"subscribe") {
            *type = MessageType::Subscribe;
            return checkFields(map, {{u"rate", Kind::Number, true}, {u"pools", Kind::Array, false}}, error);
        }
        if (name == u"command") {
            *type = MessageType::Command;
            return checkFields(map, {{u"id", Kind::Integer, true}, {u"pool", Kind::Text, true},
                                     {u"action", Kind::Text, true}, {u"minSize", Kind::Integer, false},
                                     {u"maxSize", Kind::Integer, false}, {u"connection", Kind::Integer, false},
                                     {u"pid", Kind::Integer, false}},
                               error);
        }
        if (name == u"sessions") {
            *type = MessageType::SessionsRequest;
            return checkFields(map, {{u"id", Kind::Integer, true}, {u"pool", Kind::Text, true}}, error);
        }
    } else {
        if (name == u"hello") {
            *type = MessageType::ServerHello;
            return checkFields(map, {{u"version", Kind::Integer, true}, {u"application", Kind::Text, true},
                                     {u"pid", Kind::Integer, true}, {u"host", Kind::Text, true},
                                     {u"capabilities", Kind::Map, true}, {u"pools", Kind::Array, true}},
                               error);
        }
        if (name == u"pools") {
            *type = MessageType::Pools;
            return checkFields(map, {{u"pools", Kind::Array, true}}, error);
        }
        if (name == u"snapshot") {
            *type = MessageType::Snapshot;
            return checkFields(map, {{u"pool", Kind::Text, true}, {u"time", Kind::Integer, true},
                                     {u"stats", Kind::Map, true}, {u"connections", Kind::Array, true}},
                               error);
        }
        if (name == u"event") {
            *type = MessageType::Event;
            return checkFields(map, {{u"pool", Kind::Text, true}, {u"event", Kind::Text, true},
                                     {u"time", Kind::Integer, true}}, error);
        }
        if (name == u"reply") {
            *type = MessageType::Reply;
            return checkFields(map, {{u"id", Kind::Integer, true}, {u"ok", Kind::Bool, true},
                                     {u"error", Kind::Text, false}}, error);
        }
        if (name == u"sessions") {
            *type = MessageType::Sessions;
            return checkFields(map, {{u"id", Kind::Integer, true}, {u"pool", Kind::Text, true},
                                     {u"time", Kind::Integer, false}, {u"rows", Kind::Array, false},
                                     {u"error", Kind::Text, false}},
                               error);
        }
        if (name == u"error") {
            *type = MessageType::Error;
            return checkFields(map, {{u"message", Kind::Text, true}}, error);
        }
    }
    *error = u"unknown message type \"%1\""_s.arg(name.left(64));
    return false;
}

QCborMap newMessage(MessageType type)
{
    QCborMap map;
    map.insert(u"type"_s, messageTypeName(type));
    return map;
}

QByteArray encodeFrame(const QCborMap &message)
{
    const QByteArray body = message.toCborValue().toCbor();
    QByteArray frame(4, Qt::Uninitialized);
    qToBigEndian(quint32(body.size()), frame.data());
    frame += body;
    return frame;
}

} // namespace QPg::Monitoring
