"""What compiled code needs to reach memory and C functions by address (numba intrinsics).

A compiled callback handed to a C library (JACK's process callback) is given one address,
its argument: a table of other addresses, the arrays it shares with Python and the C
functions it calls. :func:`as_pointer` turns such an address into a pointer numba can view
as an array (``numba.carray``); :func:`c_call` makes an intrinsic that calls the C function
at an address. Calling C functions at addresses read at run time (:func:`c_addresses`),
rather than binding them when compiling, keeps the compiled code free of this process's
addresses, so numba can keep it in its cache. :data:`release_fence` and
:data:`acquire_fence` order a compiled writer's stores before the count that publishes them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["acquire_fence", "address_of", "as_pointer", "c_addresses", "c_call", "release_fence"]


def address_of(array: Any) -> int:
    """The address of ``array``'s first element (a numpy array), what a table holds."""
    return int(array.__array_interface__["data"][0])


@intrinsic
def as_pointer(typingctx: Any, address: Any) -> Any:
    """The pointer at the integer ``address`` (``void *``)."""

    def codegen(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
        return builder.inttoptr(arguments[0], context.get_value_type(types.voidptr))

    return types.voidptr(address), codegen


def _fence(ordering: str) -> Any:
    @intrinsic
    def fence(typingctx: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
            builder.fence(ordering)
            return context.get_dummy_value()

        return types.none(), codegen

    return fence


release_fence, acquire_fence = _fence("release"), _fence("acquire")


def c_call(result: Any, *arguments: Any) -> Any:
    """An intrinsic calling the C function at an address (its first argument) with
    ``arguments`` of these numba types, returning ``result`` (``types.none``: nothing)."""
    signature = result(types.int64, *arguments)

    def codegen(context: Any, builder: Any, _signature: Any, values: Any) -> Any:
        returned = ir.VoidType() if result is types.none else context.get_value_type(result)
        function_type = ir.FunctionType(returned, [context.get_value_type(t) for t in arguments])
        function = builder.inttoptr(values[0], function_type.as_pointer())
        called = builder.call(function, values[1:])
        return context.get_dummy_value() if result is types.none else called

    # numba types an intrinsic by its Python parameters: one typer per count of arguments
    def one(typingctx: Any, address: Any, a: Any) -> Any:
        return signature, codegen

    def two(typingctx: Any, address: Any, a: Any, b: Any) -> Any:
        return signature, codegen

    def four(typingctx: Any, address: Any, a: Any, b: Any, c: Any, d: Any) -> Any:
        return signature, codegen

    return intrinsic({1: one, 2: two, 4: four}[len(arguments)])


def c_addresses(library: str, names: tuple[str, ...], missing: str) -> dict[str, int]:
    """The addresses of the C functions ``names`` of the shared ``library`` (a name
    ``ctypes.util.find_library`` takes); OSError saying ``missing`` when it is not found."""
    path = ctypes.util.find_library(library)
    if path is None:
        raise OSError(missing)
    loaded = ctypes.CDLL(path)
    found = {}
    for name in names:
        function = getattr(loaded, name)  # AttributeError: the library lacks it
        found[name] = int(ctypes.cast(function, ctypes.c_void_p).value or 0)
    return found
