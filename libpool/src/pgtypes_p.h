// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QtGlobal>

// OIDs of PostgreSQL's built-in types (src/include/catalog/pg_type.dat). They are fixed for every
// server version, so the codec uses them without looking them up.
namespace QPg::Private::Oid {

inline constexpr quint32 Unspecified = 0; // lets the server infer the type from context

inline constexpr quint32 Bool = 16;
inline constexpr quint32 Bytea = 17;
inline constexpr quint32 Char = 18; // "char", the one-byte internal type
inline constexpr quint32 Name = 19;
inline constexpr quint32 Int8 = 20;
inline constexpr quint32 Int2 = 21;
inline constexpr quint32 Int4 = 23;
inline constexpr quint32 Regproc = 24;
inline constexpr quint32 Text = 25;
inline constexpr quint32 Oid = 26;
inline constexpr quint32 Xid = 28;
inline constexpr quint32 Json = 114;
inline constexpr quint32 Xml = 142;
inline constexpr quint32 Point = 600;
inline constexpr quint32 Cidr = 650;
inline constexpr quint32 Float4 = 700;
inline constexpr quint32 Float8 = 701;
inline constexpr quint32 Unknown = 705;
inline constexpr quint32 Money = 790;
inline constexpr quint32 Macaddr = 829;
inline constexpr quint32 Inet = 869;
inline constexpr quint32 Bpchar = 1042;
inline constexpr quint32 Varchar = 1043;
inline constexpr quint32 Date = 1082;
inline constexpr quint32 Time = 1083;
inline constexpr quint32 Timestamp = 1114;
inline constexpr quint32 TimestampTz = 1184;
inline constexpr quint32 Interval = 1186;
inline constexpr quint32 TimeTz = 1266;
inline constexpr quint32 Bit = 1560;
inline constexpr quint32 Varbit = 1562;
inline constexpr quint32 Numeric = 1700;
inline constexpr quint32 Regclass = 2205;
inline constexpr quint32 Record = 2249;
inline constexpr quint32 Void = 2278;
inline constexpr quint32 Uuid = 2950;
inline constexpr quint32 Jsonb = 3802;

inline constexpr quint32 JsonArray = 199;
inline constexpr quint32 CidrArray = 651;
inline constexpr quint32 BoolArray = 1000;
inline constexpr quint32 ByteaArray = 1001;
inline constexpr quint32 CharArray = 1002;
inline constexpr quint32 NameArray = 1003;
inline constexpr quint32 Int2Array = 1005;
inline constexpr quint32 Int4Array = 1007;
inline constexpr quint32 TextArray = 1009;
inline constexpr quint32 BpcharArray = 1014;
inline constexpr quint32 VarcharArray = 1015;
inline constexpr quint32 Int8Array = 1016;
inline constexpr quint32 Float4Array = 1021;
inline constexpr quint32 Float8Array = 1022;
inline constexpr quint32 OidArray = 1028;
inline constexpr quint32 InetArray = 1041;
inline constexpr quint32 TimestampArray = 1115;
inline constexpr quint32 DateArray = 1182;
inline constexpr quint32 TimeArray = 1183;
inline constexpr quint32 TimestampTzArray = 1185;
inline constexpr quint32 IntervalArray = 1187;
inline constexpr quint32 NumericArray = 1231;
inline constexpr quint32 TimeTzArray = 1270;
inline constexpr quint32 UuidArray = 2951;
inline constexpr quint32 JsonbArray = 3807;

} // namespace QPg::Private::Oid

namespace QPg::Private {

struct ArrayTypePair
{
    quint32 array;
    quint32 element;
};

// The array types the codec knows, with their element types.
inline constexpr ArrayTypePair knownArrayTypes[] = {
    {Oid::BoolArray, Oid::Bool},
    {Oid::ByteaArray, Oid::Bytea},
    {Oid::CharArray, Oid::Char},
    {Oid::NameArray, Oid::Name},
    {Oid::Int2Array, Oid::Int2},
    {Oid::Int4Array, Oid::Int4},
    {Oid::Int8Array, Oid::Int8},
    {Oid::TextArray, Oid::Text},
    {Oid::OidArray, Oid::Oid},
    {Oid::JsonArray, Oid::Json},
    {Oid::CidrArray, Oid::Cidr},
    {Oid::Float4Array, Oid::Float4},
    {Oid::Float8Array, Oid::Float8},
    {Oid::InetArray, Oid::Inet},
    {Oid::BpcharArray, Oid::Bpchar},
    {Oid::VarcharArray, Oid::Varchar},
    {Oid::DateArray, Oid::Date},
    {Oid::TimeArray, Oid::Time},
    {Oid::TimestampArray, Oid::Timestamp},
    {Oid::TimestampTzArray, Oid::TimestampTz},
    {Oid::IntervalArray, Oid::Interval},
    {Oid::TimeTzArray, Oid::TimeTz},
    {Oid::NumericArray, Oid::Numeric},
    {Oid::UuidArray, Oid::Uuid},
    {Oid::JsonbArray, Oid::Jsonb},
};

// The element type of a known array type; 0 when arrayOid is not one.
constexpr quint32 arrayElementType(quint32 arrayOid) noexcept
{
    for (const ArrayTypePair &pair : knownArrayTypes) {
        if (pair.array == arrayOid)
            return pair.element;
    }
    return 0;
}

// The array type whose elements are elementOid; 0 when the codec knows none.
constexpr quint32 arrayTypeOf(quint32 elementOid) noexcept
{
    for (const ArrayTypePair &pair : knownArrayTypes) {
        if (pair.element == elementOid)
            return pair.array;
    }
    return 0;
}

constexpr bool isArrayType(quint32 oid) noexcept
{
    return arrayElementType(oid) != 0;
}

static_assert(arrayElementType(Oid::Int4Array) == Oid::Int4);
static_assert(arrayTypeOf(Oid::Text) == Oid::TextArray);
static_assert(arrayElementType(Oid::Int4) == 0);

// The scalar types with a binary decoder and encoder (binarycodec.cpp); the arrays of knownArrayTypes
// have them as well, since every element type listed there is here.
inline constexpr quint32 binaryCodecTypes[] = {
    Oid::Bool,   Oid::Int2,        Oid::Int4,     Oid::Int8,    Oid::Oid,     Oid::Float4,
    Oid::Float8, Oid::Numeric,     Oid::Text,     Oid::Varchar, Oid::Bpchar,  Oid::Name,
    Oid::Char,   Oid::Unknown,     Oid::Bytea,    Oid::Date,    Oid::Time,    Oid::TimeTz,
    Oid::Timestamp, Oid::TimestampTz, Oid::Interval, Oid::Uuid, Oid::Json,    Oid::Jsonb,
    Oid::Inet,   Oid::Cidr,
};

constexpr bool hasBinaryCodec(quint32 oid) noexcept
{
    for (const quint32 type : binaryCodecTypes) {
        if (type == oid)
            return true;
    }
    return isArrayType(oid);
}

static_assert(hasBinaryCodec(Oid::Int4Array) && hasBinaryCodec(Oid::Cidr) && !hasBinaryCodec(Oid::Point));

} // namespace QPg::Private
