"""The data chapter's code: MNIST read, checked and prepared for LeNet-5.

Modules: ``mnist`` (finding and loading the files, the splits LeNet-5 trains
on), ``preprocess`` (padding to 32x32, scaling, the stratified split), ``idx``
(the IDX file format), ``download`` (fetching from the mirrors). ``sample/``
holds the small real samples shipped with the package.
"""

from lenet_common.data import preprocess
from lenet_common.data.mnist import (
    DATASETS,
    FILES,
    SAMPLE_DIR,
    DataNotFoundError,
    DatasetInfo,
    LeNetData,
    RawData,
    SampleDataWarning,
    cache_dir,
    load_lenet_data,
    load_mnist,
    locate,
)
from lenet_common.data.preprocess import stratified_split

__all__ = [
    "DATASETS",
    "FILES",
    "SAMPLE_DIR",
    "DataNotFoundError",
    "DatasetInfo",
    "LeNetData",
    "RawData",
    "SampleDataWarning",
    "cache_dir",
    "load_lenet_data",
    "load_mnist",
    "locate",
    "preprocess",
    "stratified_split",
]
