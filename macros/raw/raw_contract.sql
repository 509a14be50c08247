{#- The raw-data contract: each raw table, its columns, their types, and which are required.
    One source of truth for the loader macros, the README and the tests
    (python_tests read it through `dbt run-operation print_raw_contract`). -#}
{% macro raw_contract() %}
    {{ return({
        'customers': {
            'required_file': false,
            'columns': {
                'customer_id': {'type': 'varchar', 'required': true},
                'customer_name': {'type': 'varchar', 'required': false},
                'email': {'type': 'varchar', 'required': false},
                'gender': {'type': 'varchar', 'required': false},
                'birth_date': {'type': 'date', 'required': false},
                'country': {'type': 'varchar', 'required': false},
                'annual_income': {'type': 'double', 'required': false},
                'num_children': {'type': 'bigint', 'required': false},
                'membership': {'type': 'varchar', 'required': false},
                'membership_start_date': {'type': 'date', 'required': false},
                'signup_ts': {'type': 'timestamp', 'required': false},
                'updated_at': {'type': 'timestamp', 'required': false},
            },
        },
        'orders': {
            'required_file': true,
            'columns': {
                'order_id': {'type': 'varchar', 'required': false},
                'customer_id': {'type': 'varchar', 'required': true},
                'order_ts': {'type': 'timestamp', 'required': true},
                'channel': {'type': 'varchar', 'required': false},
                'status': {'type': 'varchar', 'required': false},
                'updated_at': {'type': 'timestamp', 'required': false},
                'product_id': {'type': 'varchar', 'required': false},
                'quantity': {'type': 'double', 'required': false},
                'unit_price': {'type': 'double', 'required': false},
                'discount_amount': {'type': 'double', 'required': false},
                'amount': {'type': 'double', 'required': false},
                'original_order_id': {'type': 'varchar', 'required': false},
                'country': {'type': 'varchar', 'required': false},
                'gender': {'type': 'varchar', 'required': false},
            },
        },
        'order_lines': {
            'required_file': false,
            'columns': {
                'order_id': {'type': 'varchar', 'required': true},
                'line_number': {'type': 'bigint', 'required': false},
                'product_id': {'type': 'varchar', 'required': false},
                'quantity': {'type': 'double', 'required': true},
                'unit_price': {'type': 'double', 'required': true},
                'discount_amount': {'type': 'double', 'required': false},
            },
        },
        'products': {
            'required_file': false,
            'columns': {
                'product_id': {'type': 'varchar', 'required': true},
                'product_name': {'type': 'varchar', 'required': false},
                'category': {'type': 'varchar', 'required': false},
                'unit_cost': {'type': 'double', 'required': false},
            },
        },
    }) }}
{% endmacro %}

{#- Known synonyms of contract column names (row rule R3): a file column not mapped to the contract
    whose name (ignoring case, spaces and underscores) is one of these is mapped to that contract
    column automatically, per table where the contract column exists. -#}
{% macro raw_column_synonyms() %}
    {{ return({
        'product_id': ['StockCode', 'SKU', 'Item', 'ItemCode', 'ProductCode', 'Product', 'ArticleNo'],
        'product_name': ['Description', 'ProductName'],
        'country': ['Country', 'CountryCode'],
        'customer_id': ['CustomerID', 'Customer', 'ClientId', 'MemberId'],
        'order_id': ['InvoiceNo', 'Invoice', 'OrderNo', 'ReceiptId', 'TransactionId'],
        'order_ts': ['InvoiceDate', 'Date', 'OrderDate', 'Timestamp', 'PurchaseDate'],
        'quantity': ['Qty', 'Quantity', 'Units'],
        'unit_price': ['Price', 'UnitPrice'],
        'amount': ['Amount', 'Total', 'Sales', 'Revenue', 'Spend', 'Value'],
        'original_order_id': ['OriginalInvoice', 'RefundOf', 'ReturnOf'],
    }) }}
{% endmacro %}

{% macro print_raw_contract() %}
    {{ print(tojson(raw_contract())) }}
{% endmacro %}
