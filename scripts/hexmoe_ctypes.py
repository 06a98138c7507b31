"""A minimal Python binding of the runtime's C API (hexmoe.h) through ctypes,
for benchmarks that need more control than hexmoe-run gives (e.g. rotating
inputs between calls). Not a product API: scripts and tests only."""
import ctypes
import os

import numpy as np

_F32 = 0


class HexmoeError(RuntimeError):
    pass


class Runtime:
    def __init__(self, lib_path):
        self.lib = ctypes.CDLL(lib_path)
        lib = self.lib
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        lib.hexmoe_status_message.restype = ctypes.c_char_p
        lib.hexmoe_status_message.argtypes = [vp]
        lib.hexmoe_status_free.argtypes = [vp]
        lib.hexmoe_runtime_create.argtypes = [vp, ctypes.POINTER(vp)]
        lib.hexmoe_runtime_create.restype = vp
        lib.hexmoe_runtime_destroy.argtypes = [vp]
        lib.hexmoe_module_load_file.argtypes = [vp, ctypes.c_char_p, ctypes.POINTER(vp)]
        lib.hexmoe_module_load_file.restype = vp
        lib.hexmoe_module_release.argtypes = [vp]
        lib.hexmoe_module_function.argtypes = [vp, sz]
        lib.hexmoe_module_function.restype = vp
        lib.hexmoe_tensor_create.argtypes = [vp, ctypes.c_int, sz, ctypes.POINTER(ctypes.c_int64),
                                             vp, ctypes.POINTER(vp)]
        lib.hexmoe_tensor_create.restype = vp
        lib.hexmoe_tensor_release.argtypes = [vp]
        lib.hexmoe_function_invoke.argtypes = [vp, ctypes.POINTER(vp), sz, ctypes.POINTER(vp), sz]
        lib.hexmoe_function_invoke.restype = vp
        self.handle = vp()
        self._check(lib.hexmoe_runtime_create(None, ctypes.byref(self.handle)))

    def _check(self, status):
        if status:
            message = self.lib.hexmoe_status_message(status).decode()
            self.lib.hexmoe_status_free(status)
            raise HexmoeError(message)

    def load(self, path):
        module = ctypes.c_void_p()
        self._check(self.lib.hexmoe_module_load_file(self.handle, path.encode(),
                                                     ctypes.byref(module)))
        return module, self.lib.hexmoe_module_function(module, 0)

    def buffer(self, array):
        a = np.ascontiguousarray(array, dtype=np.float32)
        shape = (ctypes.c_int64 * a.ndim)(*a.shape)
        out = ctypes.c_void_p()
        self._check(self.lib.hexmoe_tensor_create(self.handle, _F32, a.ndim, shape,
                                                  a.ctypes.data_as(ctypes.c_void_p),
                                                  ctypes.byref(out)))
        return out

    def invoke(self, function, inputs, outputs):
        """outputs: list of buffer handles (None: allocated on the first call and kept)."""
        ins = (ctypes.c_void_p * len(inputs))(*[b.value for b in inputs])
        outs = (ctypes.c_void_p * len(outputs))(*[o.value if o else None for o in outputs])
        self._check(self.lib.hexmoe_function_invoke(function, ins, len(inputs), outs, len(outputs)))
        return [ctypes.c_void_p(outs[i]) for i in range(len(outputs))]


def default_library(bindir):
    return os.path.join(os.path.dirname(os.path.abspath(bindir)), "lib", "libhexmoe_runtime.so")
