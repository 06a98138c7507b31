# lit configuration for hexmoe: FileCheck tests driven by hexmoe-opt and the tools.
import os
import lit.formats

config.name = "hexmoe"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.hexmoe_build_dir, "tests", "lit")
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]

config.environment["PATH"] = os.pathsep.join(
    [os.path.join(config.hexmoe_build_dir, "bin"), config.llvm_tools_dir,
     config.environment.get("PATH", os.environ.get("PATH", ""))])
config.substitutions.append(("%examples", os.path.join(config.hexmoe_source_dir, "models", "examples")))
